import t from 'tap'
import { readFileSync } from 'node:fs'
import { generateOpenApi } from '../src/openapi-cli.js'
import { createTestApp } from './helpers/app.js'

type Doc = Record<string, any>
const document = JSON.parse(await generateOpenApi()) as Doc

function resolve (node: Doc | undefined): Doc | undefined {
  if (node?.$ref === undefined) return node
  return document.components.schemas[String(node.$ref).replace('#/components/schemas/', '')]
}

function hasExample (schema: Doc | undefined, depth = 0): boolean {
  const s = resolve(schema)
  if (s === undefined || depth > 4) return false
  if (Array.isArray(s.examples) && s.examples.length > 0) return true
  if (s.items !== undefined && hasExample(s.items, depth + 1)) return true
  return Object.values(s.properties ?? {}).some((p) => hasExample(p as Doc, depth + 1))
}

t.test('the committed openapi/openapi.json is what the code generates', async (t) => {
  const committed = readFileSync(new URL('../openapi/openapi.json', import.meta.url), 'utf8')
  t.equal(committed, JSON.stringify(document, null, 2) + '\n', 'run `npm run openapi` after changing a route or schema')
})

t.test('every operation is documented for the developers who integrate', async (t) => {
  t.equal(document.openapi, '3.1.0')
  const ids = new Set<string>()
  for (const [path, item] of Object.entries(document.paths as Doc)) {
    for (const [method, op] of Object.entries(item as Doc) as Array<[string, Doc]>) {
      const name = `${method.toUpperCase()} ${path}`
      t.match(op, { operationId: String, summary: String, description: String, tags: [String] }, name)
      t.notOk(ids.has(op.operationId), `${name}: unique operationId`)
      ids.add(op.operationId)
      t.ok(Array.isArray(op.security), `${name}: declares its security`)
      const responses = Object.entries(op.responses as Doc)
      const success = responses.filter(([status]) => status.startsWith('2'))
      t.ok(success.length > 0, `${name}: a success response`)
      if (path.startsWith('/v1')) {
        const problems = responses.filter(([status]) => /^[45]/.test(status))
        t.ok(problems.some(([status]) => status.startsWith('4')), `${name}: documents its client errors`)
        for (const [status, response] of problems) {
          t.ok((response as Doc).content?.['application/problem+json'], `${name} ${status}: problem+json`)
        }
        const body = Object.values(op.requestBody?.content ?? {})[0] as Doc | undefined
        const mediaExample = (media: Doc | undefined): boolean =>
          media?.example !== undefined || media?.examples !== undefined || hasExample(media?.schema)
        const examples = success.some(([, r]) =>
          Object.values((r as Doc).content ?? {}).some((media) => mediaExample(media as Doc))) || mediaExample(body)
        t.ok(examples, `${name}: has examples`)
      }
    }
  }
  for (const shared of ['Problem', 'Money', 'FieldError']) t.ok(document.components.schemas[shared], `shared component ${shared}`)
})

t.test('the running service serves the document and the docs page', async (t) => {
  // the committed document is a developer machine's, where Kaspi's channel is on (a deployment's is only with it on)
  const { app } = await createTestApp(t, { KASPI_MODE: 'sandbox' })
  const served = await app.inject({ method: 'GET', url: '/openapi.json' })
  t.equal(served.statusCode, 200)
  t.same(served.json().paths, document.paths)
  const docs = await app.inject({ method: 'GET', url: '/docs/' })
  t.equal(docs.statusCode, 200)
  t.match(docs.body, /swagger-ui/i)
})

t.test('closed sets of strings are enums, never anyOf lists of constants', async (t) => {
  const lists: string[] = []
  const walk = (node: unknown, at: string): void => {
    if (Array.isArray(node)) { node.forEach((item, i) => { walk(item, `${at}/${i}`) }); return }
    if (node === null || typeof node !== 'object') return
    for (const key of ['anyOf', 'oneOf']) {
      const branches = (node as Doc)[key]
      if (Array.isArray(branches) && branches.some((b: Doc) => b.const !== undefined)) lists.push(at)
    }
    for (const [key, value] of Object.entries(node)) walk(value, `${at}/${key}`)
  }
  walk(document, '#')
  t.same(lists, [], 'no anyOf/oneOf of const')
  const schemas = document.components.schemas as Doc
  t.same(schemas.Payment.properties.status, { type: 'string', enum: ['pending', 'succeeded', 'failed', 'expired', 'returned'], description: String(schemas.Payment.properties.status.description) })
  t.match(schemas.RefundRequest.properties.status, { type: 'string', enum: ['submitted', 'approved', 'rejected', 'completed'] })
  const wanted = document.paths['/v1/admin/webhook-endpoints'].post.requestBody.content['application/json'].schema.properties.enabledEvents.items as Doc
  t.match(wanted, { type: 'string', enum: Array })
  t.ok(wanted.enum.includes('payment.succeeded') && wanted.enum.includes('*'), 'an endpoint wants event types, or every event')
})

t.test('every problem response lists its codes as an enum, with an example of its own status and codes', async (t) => {
  const wrong: string[] = []
  let responses = 0
  for (const [path, item] of Object.entries(document.paths as Doc)) {
    for (const [method, op] of Object.entries(item as Doc) as Array<[string, Doc]>) {
      for (const [status, response] of Object.entries(op.responses as Doc).filter(([s]) => /^[45]/.test(s))) {
        const name = `${method.toUpperCase()} ${path} ${status}`
        const media = (response as Doc).content?.['application/problem+json'] as Doc | undefined
        const parts = (media?.schema?.allOf ?? []) as Doc[]
        const codes = parts.flatMap((p) => (p.properties?.code?.enum ?? []) as string[])
        const example = media?.example as Doc | undefined
        responses++
        if (parts[0]?.$ref !== '#/components/schemas/Problem') wrong.push(`${name}: not a Problem`)
        if (codes.length === 0) wrong.push(`${name}: no enum of codes`)
        if (example === undefined) { wrong.push(`${name}: no example`); continue }
        if (example.status !== Number(status)) wrong.push(`${name}: example of status ${String(example.status)}`)
        if (!codes.includes(example.code)) wrong.push(`${name}: example code ${String(example.code)} not in ${codes.join(',')}`)
        if (example.type !== `https://docs.explus.kz/problems/${String(example.code)}`) wrong.push(`${name}: example type ${String(example.type)}`)
        for (const field of ['title', 'detail', 'requestId']) if (typeof example[field] !== 'string') wrong.push(`${name}: example without ${field}`)
      }
    }
  }
  t.ok(responses > 300, `problem responses (${responses})`)
  t.same(wrong, [], 'enum, and an example that fits')

  const create = document.paths['/v1/payments'].post.responses as Doc
  const exampleOf = (status: string) => create[status].content['application/problem+json'].example as Doc
  t.match(exampleOf('409'), { status: 409, code: 'idempotency_key_in_use' })
  t.match(exampleOf('422'), { status: 422, code: 'acceptance_not_found' }, 'a business rule, not validation_failed')
  t.match(exampleOf('502'), { status: 502, code: 'bank_unavailable', paymentId: /^pay_/, paymentStatus: 'pending' })
  t.match(exampleOf('403'), { status: 403, code: 'payment_refused', reason: String })
  t.match(create['502'].content['application/problem+json'].schema.allOf[1].properties, { paymentStatus: { enum: ['pending', 'failed'] } }, 'the fields a code adds are typed')
  const accept = document.paths['/v1/offer-acceptances'].post.responses as Doc
  t.match(accept['409'].content['application/problem+json'].example, { code: 'offer_outdated', currentVersion: Number })
  t.same(accept['409'].content['application/problem+json'].schema.allOf[1].properties.code.enum, ['offer_outdated', 'idempotency_key_in_use'])
})

t.test('info.version is the package version', async (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  t.equal(document.info.version, pkg.version)
  const changelog = readFileSync(new URL('../CHANGELOG.md', import.meta.url), 'utf8')
  t.match(changelog, new RegExp(`^## ${pkg.version.replaceAll('.', '\\.')}\\b`, 'm'), 'the CHANGELOG has an entry for it')
})

t.test('amounts are integers everywhere, the timeline\'s included', async (t) => {
  const details = document.components.schemas.TimelineEntry.properties.details as Doc
  for (const field of ['amount', 'applied', 'overpaid', 'bankAmount', 'debtRaisedBy', 'bankRefundedAmount', 'claimDifference']) {
    t.equal(details.properties[field]?.type, 'integer', `timeline details.${field}`)
  }
  const strings: string[] = []
  const walk = (node: unknown, at: string): void => {
    if (Array.isArray(node)) { node.forEach((item, i) => { walk(item, `${at}/${i}`) }); return }
    if (node === null || typeof node !== 'object') return
    for (const [key, value] of Object.entries(node as Doc)) {
      if (key === 'properties') {
        for (const [name, property] of Object.entries(value as Doc)) {
          if (/amount$/i.test(name) && (property as Doc).type === 'string') strings.push(`${at}/${name}`)
        }
      }
      walk(value, `${at}/${key}`)
    }
  }
  walk(document, '#')
  t.same(strings, [], 'no property named …amount is a string')
})

t.test('a problem\'s title and detail are documented as localised: Accept-Language in, Content-Language out', async (t) => {
  const problem = document.components.schemas.Problem
  for (const field of ['title', 'detail']) {
    t.match(problem.properties[field].description, /localised/, field)
    t.match(problem.properties[field].description, /Accept-Language/, field)
    t.match(problem.properties[field].description, /Content-Language/, field)
  }
  t.match(problem.description, /`title` and `detail` are localised/)
  const refusal = document.paths['/v1/debts/lookup'].post.responses['422']
  t.ok(refusal.headers?.['Content-Language'], 'a problem response documents its Content-Language header')
})
