import t from 'tap'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { generateOpenApi } from '../src/openapi-cli.js'
import { PROBLEM_CODES } from '../src/http/problem-codes.js'

/**
 * A route cannot answer a code its operation does not document. The codes come from the source: every
 * `new DomainError('payment_not_found', …)` a module throws is read with the status the catalogue gives its code (the
 * compiler already refuses a code missing there), every `new NotFound('route_not_found', …)` (and the other AppError
 * classes the HTTP edge throws) with the status of its class, and
 * - each is in the catalogue (src/http/problem-codes.ts) with that status;
 * - each code thrown in a module's files is documented, under that status, by one of the operations of that module
 *   or of a module that calls it (an operation is the module's whose files declare its route);
 * - what the platform throws for every route of a kind (API keys, Idempotency-Key) is documented on each of them;
 * - no operation documents a code that nothing throws.
 * test/http/fuzz.test.ts checks the same over HTTP for what hostile input provokes.
 */
type Doc = Record<string, any>
const document = JSON.parse(await generateOpenApi()) as Doc
const SRC = new URL('../src/', import.meta.url).pathname

const STATUS_OF_CLASS: Record<string, number> = {
  BadRequest: 400,
  Unauthenticated: 401,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  Unprocessable: 422,
  BadGateway: 502
}
const CATALOGUE = PROBLEM_CODES as Record<string, { status: number } | undefined>

function sourceFiles (dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : []
  })
}

interface Thrown { file: string, code: string, status: number }

/** The problem codes a file can produce, each with its status, read from its text. */
function thrownIn (file: string, text: string): Thrown[] {
  const found: Thrown[] = []
  for (const m of text.matchAll(/new DomainError\(\s*'([a-z_]+)'/g)) {
    found.push({ file, code: m[1] as string, status: CATALOGUE[m[1] as string]?.status ?? Number.NaN })
  }
  for (const m of text.matchAll(/new (BadRequest|Forbidden|NotFound|Conflict|Unprocessable|BadGateway)\(\s*'([a-z_]+)'/g)) {
    found.push({ file, code: m[2] as string, status: STATUS_OF_CLASS[m[1] as string] as number })
  }
  for (const m of text.matchAll(/new AppError\(\s*(\d{3}),\s*'([a-z_]+)'/g)) found.push({ file, code: m[2] as string, status: Number(m[1]) })
  // the framework's and Node's refusals, mapped in one table each (src/http/errors.ts)
  for (const m of text.matchAll(/status: (\d{3}), code: '([a-z_]+)'/g)) found.push({ file, code: m[2] as string, status: Number(m[1]) })
  if (/new Unauthenticated\(/.test(text)) found.push({ file, code: 'unauthenticated', status: 401 })
  if (/new Forbidden\(\)/.test(text)) found.push({ file, code: 'forbidden', status: 403 })
  return found
}

const files = sourceFiles(SRC).map((path) => ({ path: relative(SRC, path), text: readFileSync(path, 'utf8') }))
const thrown = files.flatMap((f) => thrownIn(f.path, f.text))
const moduleOf = (file: string): string | undefined => /^modules\/([^/]+)\//.exec(file)?.[1]

const operations = new Map<string, { name: string, op: Doc }>()
for (const [path, item] of Object.entries(document.paths as Doc)) {
  for (const [method, op] of Object.entries(item as Doc) as Array<[string, Doc]>) operations.set(op.operationId, { name: `${method.toUpperCase()} ${path}`, op })
}

/** The codes an operation documents under a status (the enum on its Problem's code). */
function documented (op: Doc, status: number): string[] {
  const schema = op.responses?.[String(status)]?.content?.['application/problem+json']?.schema as Doc | undefined
  return ((schema?.allOf ?? []) as Doc[]).flatMap((part) => (part.properties?.code?.enum ?? []) as string[])
}

t.test('the source throws codes', async (t) => {
  t.ok(thrown.length > 60, `codes found in the source (${thrown.length})`)
  t.ok(thrown.some((c) => c.code === 'offer_outdated' && c.status === 409 && c.file === 'modules/acceptances/service.ts'), 'a known one, with its file and status')
})

t.test('every DomainError names its code where the scan reads it', async (t) => {
  const literal = (text: string): number => [...text.matchAll(/new DomainError\(\s*'[a-z_]+'/g)].length
  const unread = files.filter((f) => f.text.split('new DomainError(').length - 1 !== literal(f.text))
  t.same(unread.map((f) => f.path), [], 'a code as a string literal, first')
})

t.test('every code thrown is in the catalogue, with the status it is thrown with', async (t) => {
  const wrong = thrown.filter((c) => (PROBLEM_CODES as Record<string, { status: number }>)[c.code]?.status !== c.status)
  t.same(wrong, [], 'src/http/problem-codes.ts lists it with that status')
})

/**
 * The module an operation belongs to: the one whose files declare a route whose path ends the operation's path
 * (`app.get('/payments/:id'` ends `/v1/payments/{id}`), the longest such path winning.
 */
function modulesOf (
  method: string, path: string, routes: Array<{ module: string, method: string, url: string }>
): string[] {
  const fastifyPath = path.replace(/\{(\w+)\}/g, ':$1')
  const ends = (url: string): boolean => new RegExp(`${url.split(/\$\{\w+\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^/]+')}$`).test(fastifyPath)
  const candidates = routes.filter((r) => r.method === method && ends(r.url))
  const longest = Math.max(0, ...candidates.map((r) => r.url.length))
  return [...new Set(candidates.filter((r) => r.url.length === longest).map((r) => r.module))]
}

t.test('a module\'s operations document every code its files throw', async (t) => {
  const routes = files.flatMap((file) => {
    const module = moduleOf(file.path)
    if (module === undefined) return []
    // `app.post('/…'`, or a route of a context of its own (`upload.withTypeProvider<…>().post('/…'`)
    return [...file.text.matchAll(/\.(get|post|put|patch|delete)\(\s*['`](\/[^'`]*)['`]/g)].map((m) => ({ module, method: (m[1] as string).toUpperCase(), url: m[2] as string }))
  })
  const operationsOf = new Map<string, string[]>()
  for (const [id, { name }] of operations) {
    const [method, path] = name.split(' ') as [string, string]
    const owners = modulesOf(method, path, routes)
    t.ok(owners.length > 0, `${name} is declared in a module`)
    for (const module of owners) operationsOf.set(module, [...(operationsOf.get(module) ?? []), id])
  }
  t.ok(operationsOf.size >= 15, `modules with operations (${operationsOf.size})`)
  // a module's service may be called by another module's routes (payments asks acceptances for a payable acceptance)
  const importers = (module: string): string[] => [...new Set(files
    .filter((f) => moduleOf(f.path) !== module && f.text.includes(`'../${module}/`))
    .map((f) => moduleOf(f.path))
    .filter((m): m is string => m !== undefined))]
  const missing: string[] = []
  for (const module of new Set(thrown.map((c) => moduleOf(c.file)).filter((m): m is string => m !== undefined))) {
    const callers = [module, ...importers(module)]
    const ids = callers.flatMap((m) => operationsOf.get(m) ?? [])
    for (const c of thrown.filter((c) => moduleOf(c.file) === module)) {
      const where = ids.filter((id) => documented(operations.get(id)?.op ?? {}, c.status).includes(c.code))
      if (where.length === 0) missing.push(`${c.file}: ${c.status} ${c.code} is documented by no operation of ${callers.join(', ')}`)
    }
  }
  t.same(missing, [], 'thrown codes are documented')
})

t.test('what the platform answers for a kind of route is documented on each of them', async (t) => {
  const missing: string[] = []
  const expect = (name: string, op: Doc, status: number, code: string) => {
    if (!documented(op, status).includes(code)) missing.push(`${name}: ${status} ${code}`)
  }
  for (const { name, op } of operations.values()) {
    const security = (op.security ?? []) as Array<Record<string, unknown>>
    if (security.some((s) => 'apiKey' in s)) { expect(name, op, 401, 'unauthenticated'); expect(name, op, 403, 'forbidden') }
    if (security.some((s) => 'metricsToken' in s)) expect(name, op, 401, 'unauthenticated')
    const idempotency = ((op.parameters ?? []) as Doc[]).find((p) => p.in === 'header' && p.name === 'idempotency-key')
    if (idempotency !== undefined) {
      expect(name, op, 400, 'invalid_idempotency_key')
      expect(name, op, 409, 'idempotency_key_in_use')
      expect(name, op, 422, 'idempotency_key_reused')
      if (idempotency.required === true) expect(name, op, 400, 'idempotency_key_required')
    }
    const guarded = name.includes(' /v1/') && !name.includes('/v1/callbacks/') && !name.includes('/v1/channels/')
    if (guarded) expect(name, op, 400, 'card_data_forbidden')
  }
  t.same(missing, [], 'documented where the platform can answer it')
})

t.test('no operation documents a code nothing throws', async (t) => {
  const known = new Set(thrown.map((c) => `${c.status} ${c.code}`))
  const phantom: string[] = []
  for (const { name, op } of operations.values()) {
    for (const status of Object.keys(op.responses ?? {}).filter((s) => /^[45]/.test(s))) {
      for (const code of documented(op, Number(status))) if (!known.has(`${status} ${code}`)) phantom.push(`${name}: ${status} ${code}`)
    }
  }
  t.same(phantom, [], 'every documented code is thrown somewhere with that status')
})
