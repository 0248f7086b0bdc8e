// DESIGN 23: the contract as generated clients read it. What the document says of a route (its name, the scopes it
// accepts) is checked against the generated document and, where the service enforces it, over HTTP.
import t from 'tap'
import type { InjectOptions, LightMyRequestResponse as LightResponse } from 'fastify'
import { generateOpenApi } from '../src/openapi-cli.js'
import { SCOPES, type Scope } from '../src/lib/scopes.js'
import { createKey, createTestApp } from './helpers/app.js'

type Doc = Record<string, any>
const document = JSON.parse(await generateOpenApi()) as Doc

interface Operation { method: string, path: string, op: Doc }
const operations: Operation[] = Object.entries(document.paths as Doc).flatMap(([path, item]) =>
  Object.entries(item as Doc).map(([method, op]) => ({ method, path, op: op as Doc })))
const backOffice = (path: string): boolean => path.startsWith('/v1/admin/') || path.startsWith('/v1/partner/')

t.test('operationIds say who calls them: Admin for /v1/admin, Partner for /v1/partner; a read is named as one',
  async (t) => {
    const wrong: string[] = []
    for (const { method, path, op } of operations) {
      const id = String(op.operationId)
      const name = `${method.toUpperCase()} ${path} (${id})`
      if (path.startsWith('/v1/admin/') && !id.includes('Admin')) wrong.push(`${name}: no Admin`)
      if (path.startsWith('/v1/partner/') && !id.includes('Partner')) wrong.push(`${name}: no Partner`)
      if (backOffice(path) && method === 'get' && !/^(get|list)[A-Z]/.test(id)) wrong.push(`${name}: a read`)
      if (backOffice(path) && method !== 'get' && /^(get|list)[A-Z]/.test(id)) wrong.push(`${name}: not a read`)
    }
    t.same(wrong, [])
    t.ok(operations.some(({ op }) => op.operationId === 'getAdminBusinessDays'), 'addBusinessDays is a read')
    t.ok(operations.some(({ op }) => op.operationId === 'getPayment'), 'public ids stay as they are')
  })

/** A value its schema accepts: enough to pass validation and reach the route's guard. */
function sample (schema: Doc | undefined): string {
  const id = /^\^(\w+_)\[0-9a-f\]\{32\}\$$/.exec(String(schema?.pattern ?? ''))
  if (id !== null) return `${id[1] as string}${'0'.repeat(32)}`
  if (schema?.format === 'date' || String(schema?.pattern ?? '').includes('{4}-')) return '2026-01-05'
  if (Array.isArray(schema?.enum)) return String(schema.enum[0])
  if (schema?.type === 'integer') return String(schema.minimum ?? 1)
  return String(schema?.examples?.[0] ?? 'x')
}

/** A request the operation's schema accepts: its path and required query filled, its documented body example. */
function requestOf (path: string, op: Doc): { url: string, headers: Record<string, string>, payload?: string } {
  const parameters = (op.parameters ?? []) as Doc[]
  const url = path.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(sample(parameters.find((p) => p.in === 'path' && p.name === name)?.schema)))
  const query = new URLSearchParams(parameters.filter((p) => p.in === 'query' && p.required === true)
    .map((p): [string, string] => [String(p.name), sample(p.schema)]))
  const [type, media] = (Object.entries(op.requestBody?.content ?? {})[0] ?? []) as [string?, Doc?]
  const headers: Record<string, string> = {}
  if (type === undefined) return { url: `${url}${query.size > 0 ? `?${query.toString()}` : ''}`, headers }
  headers['content-type'] = type
  const example = media?.example ?? (Object.values(media?.examples ?? {})[0] as Doc | undefined)?.value
  const payload = type.endsWith('json') ? JSON.stringify(example ?? {}) : 'a,b\n1,2\n'
  return { url: `${url}${query.size > 0 ? `?${query.toString()}` : ''}`, headers, payload }
}

t.test('every back-office and partner operation lists the scopes it accepts, and the service enforces them',
  async (t) => {
    const { app } = await createTestApp(t, { KASPI_MODE: 'sandbox' })
    const keys = new Map<Scope, string>()
    for (const scope of SCOPES) keys.set(scope, (await createKey(app, [scope])).authorization)
    const wrong: string[] = []
    let checked = 0
    for (const { method, path, op } of operations) {
      const name = `${method.toUpperCase()} ${path}`
      const listed = (op.security as Doc[] | undefined)?.[0]?.apiKey as Scope[] | undefined
      if (!backOffice(path)) {
        if (listed !== undefined) wrong.push(`${name}: a public operation asks for a key`)
        continue
      }
      if (op.security?.length !== 1 || listed === undefined || listed.length === 0) {
        wrong.push(`${name}: security ${JSON.stringify(op.security)}`)
        continue
      }
      if (listed.some((scope) => !SCOPES.includes(scope))) wrong.push(`${name}: unknown scope in ${listed.join(',')}`)
      if (listed.includes('operator') && !listed.includes('admin')) wrong.push(`${name}: admin may do what operator may`)
      for (const scope of SCOPES) {
        const request = requestOf(path, op)
        const response = await app.inject({
          method: method.toUpperCase() as 'GET',
          url: request.url,
          headers: { ...request.headers, authorization: keys.get(scope) as string, 'idempotency-key': `c-${checked}` },
          ...(request.payload === undefined ? {} : { payload: request.payload })
        })
        checked++
        const refused = response.statusCode === 401 || response.statusCode === 403
        if (listed.includes(scope) && refused) wrong.push(`${name}: ${scope} listed, answered ${response.statusCode}`)
        if (!listed.includes(scope) && !(response.statusCode === 403 && response.json().code === 'forbidden')) {
          wrong.push(`${name}: ${scope} not listed, answered ${response.statusCode}`)
        }
      }
    }
    t.ok(checked > 150, `requests (${checked})`)
    t.same(wrong, [], 'the document\'s scopes are the ones the service accepts')
  })

const DOCUMENTED_HEADERS = ['x-request-id', 'idempotent-replayed', 'retry-after', 'x-ratelimit-limit',
  'x-ratelimit-remaining', 'x-ratelimit-reset', 'location', 'content-language']

t.test('the headers the service sends are documented, once, on the responses that send them', async (t) => {
  const { app } = await createTestApp(t, { KASPI_MODE: 'sandbox', LOOKUP_RATE_LIMIT_PER_MINUTE: '2' })
  const admin = await createKey(app, ['admin'])
  const missing: string[] = []
  let sampled = 0
  const check = async (method: string, path: string, request: InjectOptions): Promise<LightResponse> => {
    const response = await app.inject(request)
    const documented = document.paths[path][method].responses[String(response.statusCode)]?.headers as Doc | undefined
    sampled++
    for (const name of DOCUMENTED_HEADERS.filter((h) => response.headers[h] !== undefined)) {
      const found = Object.entries(documented ?? {}).find(([key]) => key.toLowerCase() === name)
      if (found === undefined) missing.push(`${method.toUpperCase()} ${path} ${response.statusCode}: ${name}`)
      else if (!String((found[1] as Doc).$ref).startsWith('#/components/headers/')) missing.push(`${name}: no $ref`)
    }
    return response
  }
  await check('get', '/v1/offer', { method: 'GET', url: '/v1/offer' })
  await check('get', '/v1/agency', { method: 'GET', url: '/v1/agency' })
  await check('get', '/v1/admin/payments', { method: 'GET', url: '/v1/admin/payments' })
  await check('get', '/v1/admin/payments', { method: 'GET', url: '/v1/admin/payments', headers: { authorization: admin.authorization } })
  const lookup = { method: 'POST' as const, url: '/v1/debts/lookup', payload: { iin: '000000000000' } }
  let limited = false
  for (let i = 0; i < 4 && !limited; i++) limited = (await check('post', '/v1/debts/lookup', lookup)).statusCode === 429
  t.ok(limited, 'the lookup was rate limited')
  const endpoint = document.paths['/v1/admin/webhook-endpoints'].post.requestBody.content['application/json'].example as Doc
  const create = {
    method: 'POST' as const,
    url: '/v1/admin/webhook-endpoints',
    headers: { authorization: admin.authorization, 'idempotency-key': 'headers-1' },
    payload: endpoint
  }
  const first = await check('post', '/v1/admin/webhook-endpoints', create)
  const replay = await check('post', '/v1/admin/webhook-endpoints', create)
  t.equal(replay.headers['idempotent-replayed'], 'true', `replayed (${first.statusCode} ${first.body})`)
  t.ok(sampled >= 8)
  t.same(missing, [], 'every header sent is documented by reference')
  const components = document.components.headers as Doc
  for (const name of ['XRequestId', 'IdempotentReplayed', 'RetryAfter', 'XRateLimitLimit', 'XRateLimitRemaining',
    'XRateLimitReset']) t.ok(components[name], `components.headers.${name}`)
})

t.test('content negotiation is media types: no Accept, Content-Type or Authorization parameter', async (t) => {
  const parameters = operations.flatMap(({ method, path, op }) => ((op.parameters ?? []) as Doc[])
    .filter((p) => p.in === 'header' && ['accept', 'content-type', 'authorization'].includes(String(p.name).toLowerCase()))
    .map((p) => `${method.toUpperCase()} ${path}: ${String(p.name)}`))
  t.same(parameters, [])
  for (const path of ['/v1/admin/reports/daily', '/v1/partner/reports/daily', '/v1/partner/statement',
    '/v1/admin/creditors/{id}/statement']) {
    const responses = document.paths[path].get.responses as Doc
    t.same(Object.keys(responses['200'].content), ['application/json', 'text/csv',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'], path)
    t.match(responses['406'].content['application/problem+json'].schema.allOf[1].properties.code.enum, ['not_acceptable'])
  }
})

t.test('required is required: the receipt\'s secret, consent, the result page\'s lang, the import\'s body', async (t) => {
  const receipt = (document.paths['/v1/payments/{id}/receipt'].get.parameters as Doc[])
    .find((p) => p.in === 'header' && p.name === 'x-client-secret')
  t.equal(receipt?.required, true, 'X-Client-Secret')
  const acceptance = document.paths['/v1/offer-acceptances'].post.requestBody.content['application/json'].schema
  t.match(acceptance.properties.personalDataConsent, { const: true })
  t.ok(acceptance.required.includes('personalDataConsent'))
  const lang = (document.paths['/v1/payments/{id}/result'].get.parameters as Doc[]).find((p) => p.name === 'lang')
  t.same(lang?.schema.enum, ['kk', 'ru', 'en'])
  const upload = document.paths['/v1/admin/debt-imports'].post.requestBody
  t.equal(upload.required, true)
  t.ok(upload.content['text/csv'], 'text/csv')
})
