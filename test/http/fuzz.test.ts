import t from 'tap'
import fc from 'fast-check'
import { createKey, createTestApp } from '../helpers/app.js'

/**
 * Spec-driven fuzzing: every operation of the OpenAPI document the app
 * publishes gets hostile path parameters, queries, headers and bodies built
 * from its own schemas (fast-check, fixed seed, bounded runs). Whatever
 * arrives, the answer is never a 5xx, every refusal is problem+json with a
 * code, and every status and code is one the document lists for that operation.
 */
type Schema = Record<string, any>
interface Operation { method: string, path: string, spec: Schema }

const SEED = 8008
const RUNS_PER_OPERATION = 40
// bounds the whole file on a slow machine: each operation gets at most this long
const TIME_PER_OPERATION_MS = 4000

// Values that broke or could break a parser, a database or a guard.
const NASTY_TEXT = [
  '', ' ', '\u0000', 'a\u0000b', '%00', '\\u0000', '1e309', '-1e309', 'NaN', 'Infinity', '-0', '0x10', '1.5', '9007199254740993',
  'true', 'false', 'null', '[]', '{}', 'x'.repeat(300), 'é'.repeat(120), '../../etc/passwd', '<script>alert(1)</script>',
  "' or 1=1 --", '4111 1111 1111 1111', '4111.1111.1111.1111', 'http://1.2.3.4.5/', 'http://[::1', 'javascript:alert(1)',
  'pay_', 'pay_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', 'debt_zzzz', '\ud800', '🙂', '\r\nX-Injected: 1'
]
// Stand-ins replaced in the JSON text by what JSON.stringify cannot write.
const RAW_NUMBERS: Record<string, string> = { '"__INF__"': '1e309', '"__NEGINF__"': '-1e309', '"__HUGE__"': '123456789012345678901234567890', '"__FRACTION__"': '10000.00' }

const nastyText = fc.constantFrom(...NASTY_TEXT)
// Dates at and past every edge: the first years (Date.UTC maps 0-99 to the 1900s), before time zones, the epoch,
// Almaty's old offsets, leap days that are and are not, the last day, and past what Date can hold.
const EXTREME_DATES = [
  '0000-01-01', '0001-01-01', '0099-12-31', '0100-01-01', '1582-10-10', '1899-12-31', '1969-12-31', '1970-01-01',
  '1987-07-01', '1999-12-31', '2000-02-29', '1900-02-29', '2026-02-30', '9999-12-30', '9999-12-31', '10000-01-01',
  '275760-09-13', '-000001-01-01'
]
const extremeDate = fc.constantFrom(...EXTREME_DATES)
const nastyScalar = fc.oneof(
  nastyText,
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(...Object.keys(RAW_NUMBERS).map((k) => k.slice(1, -1)))
)
const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: nastyScalar },
  { weight: 1, arbitrary: fc.array(nastyScalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), nastyScalar, { maxKeys: 3 }) }
)

function resolve (schema: Schema | undefined, doc: Schema): Schema {
  if (schema === undefined) return {}
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.replace('#/components/schemas/', '')
    return resolve(doc.components?.schemas?.[name], doc)
  }
  return schema
}

/** Something close to what the schema wants: the right shape, so deeper rules get exercised too. */
function plausible (schema: Schema, doc: Schema, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema, doc)
  if (depth > 4) return nastyScalar
  if (Array.isArray(s.anyOf ?? s.oneOf)) {
    return fc.oneof(...(s.anyOf ?? s.oneOf).map((b: Schema) => plausible(b, doc, depth + 1)))
  }
  if (s.const !== undefined) return fc.constant(s.const)
  if (Array.isArray(s.enum)) return fc.constantFrom(...s.enum)
  const typed = shaped(s, doc, depth)
  return Array.isArray(s.examples) && s.examples.length > 0
    ? fc.oneof(fc.constantFrom(...(s.examples as unknown[])), typed)
    : typed
}

function shaped (s: Schema, doc: Schema, depth: number): fc.Arbitrary<unknown> {
  switch (s.type) {
    case 'integer': return fc.oneof(fc.integer({ min: s.minimum ?? -1000, max: s.maximum ?? 1_000_000_000 }), fc.constantFrom(0, -1, Number.MAX_SAFE_INTEGER))
    case 'number': return fc.double({ noNaN: true, noDefaultInfinity: true })
    case 'boolean': return fc.boolean()
    case 'string': {
      const text = fc.oneof(
        fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 30, 60) }),
        nastyText
      )
      const date = s.format === 'date' || (typeof s.pattern === 'string' && s.pattern.includes('\\d{4}-'))
      return date ? fc.oneof({ weight: 3, arbitrary: extremeDate }, { weight: 1, arbitrary: text }) : text
    }
    case 'array': return fc.array(plausible(s.items ?? {}, doc, depth + 1), { maxLength: 3 })
    case 'object': {
      const properties = Object.entries((s.properties ?? {}) as Record<string, Schema>)
      const record: Record<string, fc.Arbitrary<unknown>> = {}
      for (const [name, property] of properties) {
        record[name] = fc.oneof(
          { weight: 3, arbitrary: plausible(property, doc, depth + 1) },
          { weight: 1, arbitrary: nastyValue }
        )
      }
      return fc.record(record, { requiredKeys: [] })
    }
    default: return nastyValue
  }
}

function bodyFor (operation: Operation, doc: Schema): fc.Arbitrary<{ contentType: string, payload: string } | null> {
  const content = operation.spec.requestBody?.content as Record<string, { schema?: Schema }> | undefined
  if (content === undefined) return fc.constant(null)
  const [contentType, media] = Object.entries(content)[0] as [string, { schema?: Schema }]
  if (contentType === 'application/json') {
    return fc.oneof(plausible(media.schema ?? {}, doc), nastyValue).map((value) => {
      let payload = JSON.stringify(value) ?? 'null'
      for (const [stand, raw] of Object.entries(RAW_NUMBERS)) payload = payload.replaceAll(stand, raw)
      return { contentType, payload }
    })
  }
  if (contentType === 'application/x-www-form-urlencoded') {
    return fc.dictionary(fc.oneof(fc.constantFrom('pg_order_id', 'pg_sig', 'pg_salt', 'pg_amount', 'pg_result'), fc.string({ maxLength: 10 })), nastyText, { maxKeys: 6 })
      .map((fields) => ({ contentType, payload: new URLSearchParams(fields).toString() }))
  }
  return fc.oneof(nastyText, fc.string({ maxLength: 200 })).map((text) => ({ contentType, payload: text }))
}

function parameters (operation: Operation, where: string): Schema[] {
  return ((operation.spec.parameters ?? []) as Schema[]).filter((p) => p.in === where)
}

function textFor (schema: Schema | undefined, doc: Schema): fc.Arbitrary<string> {
  return fc.oneof(
    nastyText,
    plausible(schema ?? {}, doc).map((v) => (typeof v === 'string' ? v : JSON.stringify(v) ?? '')),
    fc.string({ maxLength: 120 })
  )
}

function requestFor (operation: Operation, doc: Schema) {
  const pathParams = parameters(operation, 'path')
  const queryParams = parameters(operation, 'query')
  const headerParams = parameters(operation, 'header')
  const record = (list: Schema[]) => fc.record(
    Object.fromEntries(list.map((p) => [p.name as string, textFor(p.schema, doc)])),
    { requiredKeys: [] }
  )
  return fc.record({
    path: fc.record(Object.fromEntries(pathParams.map((p) => [p.name as string, textFor(p.schema, doc)]))),
    query: record(queryParams),
    extraQuery: fc.option(
      fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), nastyText, { maxKeys: 2 }),
      { nil: undefined }
    ),
    headers: record(headerParams),
    body: bodyFor(operation, doc),
    authenticated: fc.boolean()
  })
}

// a lone surrogate cannot be percent-encoded: it is not text anyone can send
function wellFormed (text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
}

// An empty segment, `.` and `..` (dot segments every URL parser removes) would make it a request for another path
function pathSegment (value: string): string {
  return value === '' || value === '.' || value === '..' ? '...' : encodeURIComponent(wellFormed(value))
}

// A header value Node would refuse to send is not a request anyone can make.
function sendableHeader (value: string): boolean {
  return /^[\t\x20-\x7e\x80-\xff]*$/.test(value)
}

/** The codes the document lists for this status of this operation (the `enum` on its Problem's `code`). */
function documentedCodes (operation: Operation, status: number): string[] {
  const schema = operation.spec.responses?.[String(status)]?.content?.['application/problem+json']?.schema as Schema | undefined
  return ((schema?.allOf ?? []) as Schema[]).flatMap((part) => (part.properties?.code?.enum ?? []) as string[])
}

t.test('every operation of the published document survives hostile input', async (t) => {
  const { app } = await createTestApp(t, { LOOKUP_RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_PER_MINUTE: '100000' })
  const admin = await createKey(app, ['admin'])
  const doc = app.swagger() as Schema
  const operations: Operation[] = []
  for (const [path, item] of Object.entries(doc.paths as Record<string, Schema>)) {
    for (const [method, spec] of Object.entries(item)) {
      if (['get', 'post', 'put', 'patch', 'delete'].includes(method)) operations.push({ method: method.toUpperCase(), path, spec })
    }
  }
  t.ok(operations.length >= 30, `the document lists the operations (${operations.length})`)

  const failures: string[] = []
  let requests = 0
  for (const operation of operations) {
    const documented = new Set(Object.keys(operation.spec.responses ?? {}))
    await fc.assert(fc.asyncProperty(requestFor(operation, doc), async (input) => {
      const url = operation.path.replace(/\{([^}]+)\}/g, (_, name: string) => pathSegment(input.path[name] ?? 'x'))
      const query = new URLSearchParams()
      for (const [name, value] of Object.entries({ ...input.query, ...(input.extraQuery ?? {}) })) {
        if (value !== undefined) query.append(name, value)
      }
      const headers: Record<string, string> = {}
      for (const [name, value] of Object.entries(input.headers)) {
        if (value !== undefined && sendableHeader(value)) headers[name] = value
      }
      if (input.authenticated) headers.authorization = admin.authorization
      if (input.body !== null) headers['content-type'] = input.body.contentType
      const response = await app.inject({
        method: operation.method as 'GET',
        url: `${url}${query.size > 0 ? `?${query.toString()}` : ''}`,
        headers,
        ...(input.body !== null ? { payload: input.body.payload } : {})
      })
      requests++
      const where = `${operation.method} ${operation.path} -> ${response.statusCode}`
      if (response.statusCode >= 500) failures.push(`${where}: ${JSON.stringify({ url, query: query.toString(), headers: { ...headers, authorization: undefined }, body: input.body?.payload.slice(0, 300) })}`)
      if (!documented.has(String(response.statusCode))) failures.push(`${where}: undocumented status (${url}: ${response.body.slice(0, 160)})`)
      if (response.statusCode >= 400) {
        const type = String(response.headers['content-type'] ?? '')
        const code = type.startsWith('application/problem+json') ? (response.json() as { code?: unknown }).code : undefined
        if (typeof code !== 'string' || !/^[a-z][a-z0-9_]*$/.test(code)) failures.push(`${where}: not problem+json with a code (${String(type)})`)
        else if (!documentedCodes(operation, response.statusCode).includes(code)) failures.push(`${where}: undocumented code ${code}`)
      }
    }), {
      seed: SEED,
      numRuns: RUNS_PER_OPERATION,
      interruptAfterTimeLimit: TIME_PER_OPERATION_MS,
      markInterruptAsFailure: false
    })
  }
  t.ok(requests >= operations.length * 5, `hostile requests were sent (${requests})`)
  t.same([...new Set(failures)].slice(0, 30), [], 'no 5xx, no undocumented status, every refusal a problem document')
})
