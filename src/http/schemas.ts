import { Type, type TSchema, type Static } from '@sinclair/typebox'
import { PROBLEM_TYPE_BASE } from './errors.js'
import { acceptedMediaTypes, takesBody } from './media-types.js'
import { isCardGuarded } from './card-guard.js'
import { PROBLEM_CODES, PROBLEM_TITLES, type ProblemCode, type ProblemCodeOf, type ProblemStatus } from './problem-codes.js'

/**
 * Shared OpenAPI components, registered once with `app.addSchema` and
 * referenced by name, so the document shows `Problem`, `Money`, … instead
 * of the same object inlined a hundred times.
 */
/**
 * A closed set of strings as JSON Schema's `enum` (`{type: 'string', enum: [...]}`), not TypeBox's `anyOf` of
 * `const`s: generators (openapi-typescript and others) make an enum or a union type of it. Static type: the union.
 */
export function StringEnum<const T extends readonly string[]> (
  values: T, options: { description?: string, default?: T[number], examples?: Array<T[number]> } = {}
) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options })
}

/** An instant on the wire: ISO 8601 in UTC (`2026-11-25T10:02:11.000Z`). */
export const Timestamp = Type.String({ format: 'date-time' })
export const NullableTimestamp = Type.Union([Timestamp, Type.Null()])
export const NullableString = Type.Union([Type.String(), Type.Null()])

/** The only currency: tenge (ISO 4217); amounts are integer tiyn. */
export const Currency = Type.Literal('KZT', { description: 'ISO 4217' })

export const FieldErrorSchema = Type.Object({
  path: Type.String({ description: 'Where the problem is: `body.amount`, `querystring.limit`, …' }),
  message: Type.String()
}, { $id: 'FieldError', additionalProperties: false })

export const ProblemSchema = Type.Object({
  type: Type.String({ format: 'uri', description: 'Documentation URI of this problem type' }),
  title: Type.String({
    description: 'A short summary for a person, localised: in the language the answer\'s Content-Language names, ' +
      'chosen by the request\'s Accept-Language (kk, ru or en, q-values honoured; ru when it names none of them)'
  }),
  status: Type.Integer({ minimum: 400, maximum: 599 }),
  detail: Type.String({
    description: 'What happened, for a person, localised like `title` (Accept-Language in, Content-Language out); ' +
      'the back office\'s and partners\' codes keep English words in every language. Never parse it: branch on `code`'
  }),
  code: Type.String({ pattern: '^[a-z][a-z0-9_]*$', description: 'Stable machine-readable code; branch on this, not on the text' }),
  errors: Type.Optional(Type.Array(Type.Ref(FieldErrorSchema))),
  requestId: Type.String({ description: 'Echo of X-Request-Id; quote it to support' })
}, {
  $id: 'Problem',
  additionalProperties: true,
  description: 'RFC 9457 problem details. `title` and `detail` are localised (Accept-Language: kk, ru, en; the answer ' +
    'names its language in Content-Language); `type`, `status`, `code` and every other field never change with it. ' +
    'Some codes add fields (e.g. `currentVersion` on `offer_outdated`).',
  examples: [{
    type: 'https://docs.explus.kz/problems/validation_failed',
    title: 'Bad request',
    status: 400,
    detail: 'The request does not match the schema',
    code: 'validation_failed',
    errors: [{ path: 'body.amount', message: 'must be integer' }],
    requestId: '0b6f6a3c-2a8e-4d8a-9d59-6a0f3c1f8e21'
  }]
})

/**
 * The largest amount the API accepts or states, in tiyn: 10 trillion tenge,
 * far above any claim, and well inside the safe-integer range so that no
 * client's JSON parser rounds it.
 */
export const MAX_AMOUNT = 1_000_000_000_000_000

/** An amount a client sends: integer tiyn, 1 to MAX_AMOUNT. */
export function AmountInput (description: string) {
  return Type.Integer({ minimum: 1, maximum: MAX_AMOUNT, description: `${description}; at most ${MAX_AMOUNT}` })
}

export const MoneySchema = Type.Object({
  amount: Type.Integer({ minimum: 0, maximum: MAX_AMOUNT, description: 'Integer minor units (tiyn): 150000 = 1 500.00 KZT' }),
  currency: Currency
}, { $id: 'Money', additionalProperties: false, examples: [{ amount: 150000, currency: 'KZT' }] })
export type Money = Static<typeof MoneySchema>

export const SHARED_SCHEMAS = [FieldErrorSchema, ProblemSchema, MoneySchema]


const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request: malformed JSON or a field that does not match the schema',
  401: 'Missing, unknown or revoked API key (`unauthenticated`)',
  403: 'Forbidden: the API key lacks the scope (`forbidden`), or a rule refuses the operation',
  404: 'Not found',
  408: 'The request body did not arrive in time (`request_timeout`); the connection is closed',
  409: 'Conflict with the current state',
  413: 'Body too large (`payload_too_large`)',
  415: 'A Content-Type or Content-Encoding this operation does not take (`unsupported_media_type`)',
  422: 'Well-formed but refused by a business rule',
  429: 'Rate limit exceeded (`rate_limited`); see Retry-After',
  414: 'A path parameter is too long (`uri_too_long`)',
  500: 'A fault on our side (`internal_error`); quote the requestId to support',
  501: 'A Transfer-Encoding other than chunked (`unsupported_transfer_encoding`)',
  502: 'The bank did not give a usable answer',
  503: 'Unavailable: the database cannot be reached (`database_unavailable`, see Retry-After) or is not migrated yet'
}

// the codes each problem response was declared with, so common ones can be added later
const declaredCodes = new WeakMap<object, ProblemCode[]>()

/** The problem document a client would get for this code: the example shown under the response. */
export function problemExample (code: ProblemCode): Record<string, unknown> {
  const known: { status: number, detail: string, extra?: Record<string, unknown> } = PROBLEM_CODES[code]
  return {
    type: `${PROBLEM_TYPE_BASE}${code}`,
    title: PROBLEM_TITLES[known.status] ?? 'Problem',
    status: known.status,
    detail: known.detail,
    code,
    ...known.extra,
    requestId: '0b6f6a3c-2a8e-4d8a-9d59-6a0f3c1f8e21'
  }
}

/**
 * The fields these codes add to the problem document (each optional: another code of the same status may not add it).
 */
function fieldsOf (codes: ProblemCode[]): Record<string, TSchema> {
  const fields: Record<string, TSchema> = {}
  for (const code of codes) Object.assign(fields, (PROBLEM_CODES[code] as { fields?: Record<string, TSchema> }).fields)
  return fields
}

// Codes every operation of the kind may answer (see commonProblems): the example shows one of the operation's own.
const PLATFORM_CODES = new Set<string>([
  'validation_failed', 'malformed_json', 'bad_request', 'bad_url', 'card_data_forbidden', 'internal_error', 'rate_limited',
  'database_unavailable'
])

/**
 * A problem response: `Problem` with `code` narrowed to the codes this status of this operation can carry (an
 * `enum`, so a generated client gets a union), and an example of the most specific of them.
 */
function problemResponse (status: number, codes: ProblemCode[]): TSchema {
  const text = STATUS_TEXT[status] ?? 'Problem'
  const description = codes.length > 0 ? `${text}. Codes: ${codes.map((c) => `\`${c}\``).join(', ')}` : text
  const response = codes.length === 0
    ? Type.Ref(ProblemSchema, { description })
    : Type.Unsafe({
      description,
      allOf: [Type.Ref(ProblemSchema), { type: 'object', required: ['code'], properties: { code: { type: 'string', enum: codes }, ...fieldsOf(codes) } }],
      examples: [problemExample(codes.find((c) => !PLATFORM_CODES.has(c)) ?? codes[0] as ProblemCode)]
    })
  declaredCodes.set(response, codes)
  return response
}

/** Per status, the codes an operation may answer with it; a code under another status does not compile. */
export type ProblemsByStatus = { [S in ProblemStatus]?: Array<ProblemCodeOf<S>> }

/** What a route behind an API key adds: no key, or a key without the scope. */
export const AUTH_PROBLEMS = { 401: ['unauthenticated'], 403: ['forbidden'] } satisfies ProblemsByStatus

/** Problem responses for the given statuses, each with the codes it may carry. */
export function problemResponses (byStatus: ProblemsByStatus): Record<number, TSchema> {
  const out: Record<number, TSchema> = {}
  for (const [status, codes] of Object.entries(byStatus) as Array<[string, ProblemCode[] | undefined]>) {
    out[Number(status)] = problemResponse(Number(status), codes ?? [])
  }
  return out
}

interface RouteShape {
  url: string
  method: string | string[]
  schema?: {
    hide?: boolean, body?: unknown, querystring?: unknown, params?: unknown, headers?: unknown
    consumes?: readonly string[]
    response?: Record<string | number, unknown>
  }
  config?: { rateLimit?: unknown, database?: boolean }
  /** The handler reads the validation's verdict itself (Kaspi's channel answers its own protocol): never a 400 */
  attachValidation?: boolean
}

function validated (route: RouteShape): boolean {
  const schema = route.schema ?? {}
  const parts = [schema.body, schema.querystring, schema.params, schema.headers]
  return route.attachValidation !== true && parts.some((part) => part !== undefined)
}

/**
 * What any operation may answer besides its own problems: the framework's and the platform's, raised before its
 * handler or before any route is found (a malformed URL, a wrong media type or coding, body size and time limits,
 * strict validation, rate limits, an unreachable database). The one table of them: added to every route's responses,
 * so the OpenAPI document lists every code an operation can answer under its status.
 */
export function commonProblems (route: RouteShape): Record<number, ProblemCode[]> {
  const body = takesBody(route.method)
  const json = body && acceptedMediaTypes(route).includes('application/json')
  const guarded = isCardGuarded(route.url)
  const common: Record<number, ProblemCode[]> = { 500: ['internal_error'], 501: ['unsupported_transfer_encoding'] }
  common[400] = [
    ...(validated(route) ? ['validation_failed' as const] : []),
    ...(json ? ['malformed_json' as const] : []),
    ...(body ? ['bad_request' as const] : []),
    // a percent-escape that does not decode, anywhere in the path
    'bad_url',
    // the card guard reads every /v1 query string, declared or not
    ...(guarded ? ['card_data_forbidden' as const] : [])
  ]
  if (body) {
    // a body that does not arrive in time (http/body-time.ts)
    common[408] = ['request_timeout']
    common[413] = ['payload_too_large']
    common[415] = ['unsupported_media_type']
  }
  if (route.url.includes(':')) common[414] = ['uri_too_long']
  if (route.config?.rateLimit !== false) common[429] = ['rate_limited']
  if (route.config?.database !== false) common[503] = ['database_unavailable']
  return common
}

/** Adds `commonProblems` to a route's documented responses, merging codes into statuses it already declares. */
export function documentCommonProblems (route: RouteShape): void {
  if (route.schema === undefined || route.schema.hide === true || route.schema.response === undefined) return
  const responses = route.schema.response
  for (const [status, codes] of Object.entries(commonProblems(route))) {
    const existing = responses[status] as object | undefined
    if (existing !== undefined && !declaredCodes.has(existing)) continue
    const merged = [...new Set([...(existing !== undefined ? declaredCodes.get(existing) ?? [] : []), ...codes])]
    responses[status] = problemResponse(Number(status), merged)
  }
}

/** Cursor pagination: `?limit=1..100&startingAfter=<id>`. */
export function paginationQuery (idPattern: string) {
  return {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Page size (1-100)' })),
    startingAfter: Type.Optional(Type.String({ pattern: idPattern, description: 'The `nextCursor` of the previous page' }))
  }
}

export function pageOf<T extends TSchema> (item: T, description: string) {
  return Type.Object({
    data: Type.Array(item),
    hasMore: Type.Boolean(),
    nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `startingAfter` for the next page; null on the last page' })
  }, { additionalProperties: false, description })
}
