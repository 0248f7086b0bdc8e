import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

/**
 * Errors are values with a stable `code` (DESIGN section 3). One handler
 * turns them, validation errors and anything unexpected into RFC 9457
 * problem+json; a 5xx body never carries internals.
 */
export interface FieldError { path: string, message: string }

export class AppError extends Error {
  constructor (
    readonly statusCode: number,
    readonly code: string,
    readonly title: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly errors?: FieldError[]
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
export class ServiceUnavailable extends AppError {
  constructor (code: string, detail: string) { super(503, code, 'Service unavailable', detail) }
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

export function problemOf (error: AppError, requestId: string): Problem {
  return {
    type: `${PROBLEM_TYPE_BASE}${error.code}`,
    title: error.title,
    status: error.statusCode,
    detail: error.message,
    code: error.code,
    ...(error.errors !== undefined ? { errors: error.errors } : {}),
    ...error.extra,
    requestId
  }
}

export function sendProblem (reply: FastifyReply, error: AppError): FastifyReply {
  const body = problemOf(error, String(reply.request.id))
  if (error.statusCode === 429 && typeof error.extra.retryAfterSeconds === 'number') {
    void reply.header('retry-after', String(error.extra.retryAfterSeconds))
  }
  // An unread remainder of a refused upload is not worth keeping the socket for.
  if (error.statusCode === 413) void reply.header('connection', 'close')
  return reply.code(error.statusCode).type('application/problem+json').send(JSON.stringify(body))
}

/** Fastify's own error codes mapped to stable problem codes. */
const FASTIFY_CODES: Record<string, { status: number, code: string, detail: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', detail: 'This Content-Type is not accepted here' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large', detail: 'The request body is larger than allowed' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'malformed_json', detail: 'The body is empty but Content-Type is application/json' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'malformed_json', detail: 'The body is not valid JSON' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'bad_request', detail: 'Content-Length does not match the body' }
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
  if (error.validation !== undefined) {
    return new BadRequest('validation_failed', 'The request does not match the schema', {}, validationErrors(error))
  }
  const known = error.code !== undefined ? FASTIFY_CODES[error.code] : undefined
  if (known !== undefined) return new AppError(known.status, known.code, known.status === 413 ? 'Payload too large' : known.status === 415 ? 'Unsupported media type' : 'Bad request', known.detail)
  if (error.statusCode === 429) {
    return new AppError(429, 'rate_limited', 'Too many requests', 'Too many requests: slow down and retry later')
  }
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return new AppError(error.statusCode, 'bad_request', 'Bad request', 'The request could not be processed')
  }
  return new AppError(500, 'internal_error', 'Internal server error', 'Something went wrong on our side; the request id helps support find it')
}

export function registerErrorHandling (app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const appError = toAppError(error)
    if (appError.statusCode >= 500) {
      request.log.error({ err: error }, 'request failed')
    } else {
      request.log.info({ code: appError.code, status: appError.statusCode }, 'request refused')
    }
    return sendProblem(reply, appError)
  })
  app.setNotFoundHandler((request, reply) => {
    return sendProblem(reply, new NotFound('route_not_found', `No route ${request.method} ${request.url.split('?')[0] ?? ''}`))
  })
}
