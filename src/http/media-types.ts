// What a request's body may be, decided from its headers before a byte of it is read (DESIGN 22).
//
// - Media type: a route takes the media types of its schema's `consumes` (the OpenAPI document's requestBody), JSON
//   when it names none (a route that declares no body ignores a JSON one: clients send `{}` to actions). Anything
//   else is 415 `unsupported_media_type`: a JSON route never gets `text/plain`, `text/csv`, a form, multipart or XML,
//   and the import never gets JSON. (The parsers are scoped the same way: `text/plain` is not parsed anywhere, a
//   raw-body parser sits on the one route that streams.)
// - Content coding: `identity` only, unless the route decodes another itself (`config.contentEncodings`, the
//   import's gzip): a compressed body handed to a parser that does not decode it is 415 as well.
// - Transfer coding: `chunked` only (RFC 9112 6.1). Node reads `Transfer-Encoding: gzip, chunked` as plain chunked,
//   where a proxy that decodes would see another request: 501 `unsupported_transfer_encoding`, on every route.
//
// A refusal here closes the connection (http/errors.ts sendProblem): the body it did not read is never read.
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import { AppError } from './errors.js'
import { asArray } from './route-hooks.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Content codings the route decodes itself, besides `identity` (the portfolio import: gzip). */
    contentEncodings?: readonly string[]
  }
}

/** Methods whose requests carry a body the framework parses. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

const JSON_ONLY: readonly string[] = ['application/json']

/** A Content-Type's media type, without parameters, lower case: `text/csv; charset=utf-8` -> `text/csv`. */
export function mediaTypeOf (contentType: string): string {
  const end = contentType.indexOf(';')
  return (end === -1 ? contentType : contentType.slice(0, end)).trim().toLowerCase()
}

interface BodyShape { schema?: { consumes?: readonly string[] } }

/** The media types a route takes as its body: those its schema consumes, JSON when it names none. */
export function acceptedMediaTypes (route: BodyShape): readonly string[] {
  const consumes = route.schema?.consumes
  return consumes === undefined ? JSON_ONLY : consumes.map(mediaTypeOf)
}

/** True when the route's method carries a body the framework parses. */
export function takesBody (method: string | readonly string[]): boolean {
  return (Array.isArray(method) ? method : [method]).some((m) => BODY_METHODS.has(m))
}

function unsupportedMediaType (detail: string): AppError {
  return new AppError(415, 'unsupported_media_type', 'Unsupported media type', detail)
}

/** The codings of a header value (`gzip, identity`), lower case, without `identity`. */
function codings (header: string): string[] {
  return header.split(',').map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity')
}

const MEDIA_CHECK = Symbol('media check')
type Hook = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void

/** True when the request carries a body: a length above zero, or a transfer coding (chunked). */
export function hasBody (request: FastifyRequest): boolean {
  const length = request.headers['content-length']
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}

function mediaCheckFor (accepted: readonly string[], decoded: readonly string[]): Hook {
  const types = new Set(accepted)
  const rawOnly = !types.has('application/json')
  const takes = `This operation takes ${accepted.join(' or ')}`
  return Object.assign((request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void => {
    const contentType = request.headers['content-type']
    // a raw body (the import) is nothing without its media type
    if (contentType === undefined ? rawOnly : !types.has(mediaTypeOf(contentType))) {
      const given = contentType === undefined ? null : mediaTypeOf(contentType).slice(0, 100)
      const sent = given === null ? '' : `, not ${given === '' ? 'an empty Content-Type' : given}`
      done(unsupportedMediaType(`${takes}${sent}`))
      return
    }
    const contentEncoding = request.headers['content-encoding']
    if (contentEncoding !== undefined && codings(contentEncoding).some((coding) => !decoded.includes(coding))) {
      done(unsupportedMediaType(`The body's Content-Encoding may be ${['identity', ...decoded].join(' or ')} here`))
      return
    }
    done()
  }, { [MEDIA_CHECK]: true })
}

function refuseTransferCodings (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void {
  const transferEncoding = request.headers['transfer-encoding']
  // most requests have none: nothing is split or allocated for them
  if (transferEncoding !== undefined && transferEncoding.split(',').some((c) => c.trim().toLowerCase() !== 'chunked')) {
    done(new AppError(501, 'unsupported_transfer_encoding', 'Not implemented', 'Transfer-Encoding may only be chunked'))
    return
  }
  done()
}

/**
 * Installs the checks: the transfer coding for every request (routes and unknown paths alike), the media type and
 * content coding as the first onRequest hook of every route that takes a body. Call before any route is added.
 */
export function checkBodyHeaders (app: FastifyInstance): void {
  app.addHook('onRequest', refuseTransferCodings)
  app.addHook('onRoute', (route: RouteOptions) => {
    if (!takesBody(route.method)) return
    const hooks = asArray(route.onRequest) as Hook[]
    if (hooks.some((hook) => MEDIA_CHECK in hook)) return
    const check = mediaCheckFor(acceptedMediaTypes(route as BodyShape), route.config?.contentEncodings ?? [])
    route.onRequest = [check, ...hooks] as RouteOptions['onRequest']
  })
}

/** What a CSV upload (a portfolio, a payout, a registry) is sent as. */
export const CSV_MEDIA_TYPES = ['text/csv', 'application/csv'] as const

/**
 * Registers `routes` in a context of their own whose one parser hands the request stream over as the body, for the
 * media types given, and parses nothing else (JSON included): a parser reaches every route of the plugin it is added
 * to, and a JSON route once handed the request stream as its body stopped the whole process (STYLE 25). Neither the
 * JSON walkers nor the card guard read such a body as text; the route reads it, bounded.
 */
export async function rawBodyRoutes<App extends FastifyInstance> (
  app: App, mediaTypes: readonly string[], routes: (upload: App) => void | Promise<void>
): Promise<void> {
  await app.register(async (upload) => {
    upload.removeAllContentTypeParsers()
    upload.addContentTypeParser([...mediaTypes], (_request, payload, done) => { done(null, payload) })
    await routes(upload as unknown as App)
  })
}
