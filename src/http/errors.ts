// Errors are values with a stable `code` (docs/architecture.md, shared conventions). One handler
// turns them, validation errors and anything unexpected into RFC 9457
// problem+json; a 5xx body never carries internals.
// Modules throw DomainError (../lib/errors.ts): a code and facts, no status; its status, title and type come from the
// one table of codes (./problem-codes.ts), here. The classes below are the edge's own refusals, made by what reads
// HTTP (a header, a body, a media type, a route not found), which know their status.
import { randomUUID } from 'node:crypto'
import type { Duplex } from 'node:stream'
import { pathWithoutCardData } from '../lib/card-data.js'
import { databaseUnavailable, DomainError, type FieldError } from '../lib/errors.js'
import { PROBLEM_CODES, PROBLEM_TITLES } from './problem-codes.js'
import { localizedProblem } from './problem-language.js'
import type { Values } from '../lib/i18n.js'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

export class AppError extends Error {
  constructor (
    readonly statusCode: number,
    readonly code: string,
    readonly title: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly errors?: FieldError[],
    /** What a translated detail's placeholders take besides `extra` (src/locales/<language>/problems.json). */
    readonly values: Values = {}
  ) {
    super(message)
  }
}

export class BadRequest extends AppError {
  constructor (code: string, detail: string, extra?: Record<string, unknown>, errors?: FieldError[]) { super(400, code, 'Bad request', detail, extra, errors) }
}
export class Unauthenticated extends AppError {
  constructor (detail = 'A valid API key is required: Authorization: Bearer <key>') { super(401, 'unauthenticated', 'Unauthenticated', detail) }
}
export class Forbidden extends AppError {
  constructor (code = 'forbidden', detail = 'This API key may not perform this operation', extra?: Record<string, unknown>) { super(403, code, 'Forbidden', detail, extra) }
}
export class NotFound extends AppError {
  constructor (code: string, detail: string) { super(404, code, 'Not found', detail) }
}
export class Conflict extends AppError {
  constructor (code: string, detail: string, extra?: Record<string, unknown>) { super(409, code, 'Conflict', detail, extra) }
}
export class Unprocessable extends AppError {
  constructor (code: string, detail: string, extra?: Record<string, unknown>, errors?: FieldError[]) { super(422, code, 'Unprocessable content', detail, extra, errors) }
}
export class BadGateway extends AppError {
  constructor (code: string, detail: string, extra?: Record<string, unknown>) { super(502, code, 'Bad gateway', detail, extra) }
}

export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  code: string
  errors?: FieldError[]
  requestId: string
  [extra: string]: unknown
}

export const PROBLEM_TYPE_BASE = 'https://docs.explus.kz/problems/'

export function problemOf (
  error: AppError,
  requestId: string,
  words: { title: string, detail: string } = { title: error.title, detail: error.message }
): Problem {
  return {
    type: `${PROBLEM_TYPE_BASE}${error.code}`,
    title: words.title,
    status: error.statusCode,
    detail: words.detail,
    code: error.code,
    ...(error.errors !== undefined ? { errors: error.errors } : {}),
    ...error.extra,
    requestId
  }
}

/** Statuses refused before the body is read (or while it is): its unread remainder is not worth the socket. */
const CLOSES_CONNECTION = new Set([408, 413, 415, 501])

export function sendProblem (reply: FastifyReply, error: AppError): FastifyReply {
  const { language, title, detail } = localizedProblem(error, reply.request.headers['accept-language'])
  const body = problemOf(error, String(reply.request.id), { title, detail })
  void reply.header('content-language', language)
  if ((error.statusCode === 429 || error.statusCode === 503) && typeof error.extra.retryAfterSeconds === 'number') {
    void reply.header('retry-after', String(error.extra.retryAfterSeconds))
  }
  // Refused while its body is still arriving (an import refused before it is read: import_busy, a missing key), the
  // connection is closed too; kept alive, Node would read the rest (up to a portfolio's 1 GiB) only to drop it.
  // (`complete` is Node's; a request injected in tests has none.)
  if (CLOSES_CONNECTION.has(error.statusCode) || reply.request.raw.complete === false) {
    void reply.header('connection', 'close')
  }
  // a refusal is about this request, at this moment: no cache keeps it
  return reply.code(error.statusCode).header('cache-control', 'no-store').type('application/problem+json')
    .send(JSON.stringify(body))
}

/**
 * What every answer carries, set by the first onRequest hook (app.ts) and, for what is refused before any hook runs
 * (a malformed URL, an over-long parameter, a request Node cannot parse), by the handlers below: the request id and
 * the security headers.
 */
export function setEdgeHeaders (reply: FastifyReply, requestId: string, securityHeaders: Record<string, string>): void {
  void reply.headers(securityHeaders).header('x-request-id', requestId)
}

/** Fastify's own error codes mapped to stable problem codes. */
const FASTIFY_CODES: Record<string, { status: number, code: string, detail: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', detail: 'This Content-Type is not accepted here' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large', detail: 'The request body is larger than allowed' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'malformed_json', detail: 'The body is empty but Content-Type is application/json' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'malformed_json', detail: 'The body is not valid JSON' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'bad_request', detail: 'Content-Length does not match the body' },
  FST_ERR_BAD_URL: { status: 400, code: 'bad_url', detail: 'The URL is not well-formed' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'uri_too_long', detail: 'A path parameter is longer than allowed' },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, code: 'bad_request', detail: 'The request could not be routed' }
}

const FRAMEWORK_TITLES: Record<number, string> = { 413: 'Payload too large', 414: 'URI too long', 415: 'Unsupported media type' }

// SQLSTATE classes and codes that mean "the database is not there right now"
// (08: connection exception; 57P01-57P03: shut down or starting; 53300: too
// many connections), and the socket-level codes of a server that went away.
const DATABASE_DOWN_SQLSTATES = /^(08|57P0[1-3]$|53300$)/
const DATABASE_DOWN_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'])
const DATABASE_DOWN_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly|terminating connection)/

/**
 * True when an error (or one of its causes) says the database cannot be reached, as opposed to a bug or a refused
 * statement.
 */
export function isDatabaseUnavailable (error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string' && (DATABASE_DOWN_SQLSTATES.test(code) || DATABASE_DOWN_ERRNOS.has(code))) return true
    if (DATABASE_DOWN_MESSAGES.test(current.message)) return true
    if (current instanceof AggregateError && current.errors.some(isDatabaseUnavailable)) return true
  }
  return false
}

const STATUS_OF_CODE: Readonly<Record<string, { status: number } | undefined>> = PROBLEM_CODES

/**
 * A module's refusal as the problem it is answered with: status and title from its code's row, the detail, the field
 * errors and the facts (in that order in the body, as thrown). A code with no row cannot compile; should one arrive
 * all the same, it is not answered as itself (undefined: the caller answers 500).
 */
export function fromDomainError (error: DomainError): AppError | undefined {
  const status = STATUS_OF_CODE[error.code]?.status
  const title = status === undefined ? undefined : PROBLEM_TITLES[status]
  if (status === undefined || title === undefined) return undefined
  return new AppError(status, error.code, title, error.message, error.facts, error.errors)
}

function internalError (): AppError {
  return new AppError(500, 'internal_error', 'Internal server error',
    'Something went wrong on our side; the request id helps support find it')
}

function validationErrors (error: FastifyError): FieldError[] {
  return (error.validation ?? []).map((v) => {
    const base = (v.instancePath ?? '').replaceAll('/', '.').replace(/^\./, '')
    const missing = v.keyword === 'required' ? String((v.params as { missingProperty?: string }).missingProperty ?? '') : ''
    const extraProp = v.keyword === 'additionalProperties' ? String((v.params as { additionalProperty?: string }).additionalProperty ?? '') : ''
    const leaf = missing !== '' ? missing : extraProp
    const path = [error.validationContext, base, leaf].filter((p) => p !== undefined && p !== '').join('.')
    const message = extraProp !== '' ? 'is not an allowed property' : (v.message ?? 'is invalid')
    return { path, message }
  })
}

function toAppError (error: FastifyError): AppError {
  if (error instanceof AppError) return error
  if (error instanceof DomainError) return fromDomainError(error) ?? internalError()
  if (error.validation !== undefined) {
    return new BadRequest('validation_failed', 'The request does not match the schema', {}, validationErrors(error))
  }
  const known = error.code !== undefined ? FASTIFY_CODES[error.code] : undefined
  if (known !== undefined) return new AppError(known.status, known.code, FRAMEWORK_TITLES[known.status] ?? 'Bad request', known.detail)
  if (isDatabaseUnavailable(error)) return fromDomainError(databaseUnavailable()) ?? internalError()
  if (error.statusCode === 429) {
    return new AppError(429, 'rate_limited', 'Too many requests', 'Too many requests: slow down and retry later')
  }
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return new AppError(error.statusCode, 'bad_request', 'Bad request', 'The request could not be processed')
  }
  return internalError()
}

/** Fastify's `frameworkErrors`: a malformed URL or an over-long path parameter, before any route or hook runs. */
export function frameworkErrorHandler (securityHeaders: Record<string, string>) {
  return function frameworkError (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
    setEdgeHeaders(reply, String(request.id), securityHeaders)
    void sendProblem(reply, toAppError(error))
  }
}

const CLIENT_ERRORS: Record<string, { status: number, code: string, title: string, detail: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, code: 'headers_too_large', title: 'Request header fields too large', detail: 'The request headers are larger than allowed' },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408, code: 'request_timeout', title: 'Request timeout', detail: 'The request headers did not arrive in time'
  }
}

const NOT_HTTP = { status: 400, code: 'bad_request', title: 'Bad request', detail: 'The request is not valid HTTP' }

/**
 * Node's `clientError`: the request could not even be parsed (or did not arrive in time), so there is no request
 * object; the answer is still a problem document, with a request id of its own and the headers of every answer.
 */
export function clientErrorHandler (securityHeaders: Record<string, string>) {
  const fixedHeaders = Object.entries({ ...securityHeaders, 'cache-control': 'no-store', connection: 'close' })
    .map(([name, value]) => `${name}: ${value}\r\n`).join('')
  return function clientError (error: Error & { code?: string }, socket: Duplex): void {
    if (error.code === 'ECONNRESET' || socket.destroyed) return
    const known = CLIENT_ERRORS[error.code ?? ''] ?? NOT_HTTP
    const requestId = randomUUID()
    const { status, code, title, detail } = known
    const body = JSON.stringify({ type: `${PROBLEM_TYPE_BASE}${code}`, title, status, detail, code, requestId })
    // never into an answer already under way on this connection (a pipelined request's headers timing out)
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage
    if (socket.writable && inFlight?.headersSent !== true) {
      socket.write(`HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\n${fixedHeaders}\r\n${body}`)
    }
    socket.destroy()
  }
}

export function registerErrorHandling (app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const appError = toAppError(error)
    if (appError.code === 'database_unavailable') {
      // an outage, not a bug: one short line per request, never the pg objects
      request.log.warn({ cause: { code: (error as { code?: unknown }).code, message: error.message } }, 'database unavailable')
    } else if (appError.statusCode >= 500) {
      request.log.error({ err: error }, 'request failed')
    } else {
      request.log.info({ code: appError.code, status: appError.statusCode }, 'request refused')
    }
    return sendProblem(reply, appError)
  })
  app.setNotFoundHandler((request, reply) => {
    const path = pathWithoutCardData(request.url)
    return sendProblem(reply, new AppError(404, 'route_not_found', 'Not found', `No route ${request.method} ${path}`, {}, undefined, {
      method: request.method, path
    }))
  })
}
