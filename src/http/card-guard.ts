// Card data never enters the service (offer cl. 3, docs/architecture.md, the public API; docs/architecture.md, safe by
// default): a `/v1/` request whose parsed body, query string or path parameters hold a card-number-like value is
// refused with 400 `card_data_forbidden` before validation, idempotency and the handler, so it is neither stored nor
// echoed. Nothing here logs the request.
//
// A route names its fields that have a format of their own in
// `config.cardDataFormatted`, paths starting with `body`, `query` or
// `params`: `{ path: ['body', 'contractNumber'], format: 'contractNumber' }`.
// Such a field is skipped only while its whole value has that format; its
// schema constrains it to the same format.
//
// The bank's callbacks (`/v1/callbacks/`) are exempt: the bank protocol
// governs them and they carry only masked PANs. So are the payment channels
// (`/v1/channels/`, Kaspi's check/pay): their protocol governs them, they
// answer allowlisted addresses only, and carry a payment code, the channel's
// own transaction id (digits, which may well pass Luhn) and a sum, never a
// card; a refusal there is the protocol's answer, never a problem document.
//
// Each guarded route gets the check as its first preValidation hook when it is
// added (onRoute), with its formatted fields at hand: nothing is looked up per
// request (reading `request.routeOptions` builds and freezes an object each time).
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import { BadRequest } from './errors.js'
import { containsCardNumber, type FormattedField } from '../lib/card-data.js'
import { asArray } from './route-hooks.js'
import { isStream } from '../lib/request-data.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    cardDataFormatted?: readonly FormattedField[]
  }
}

export function cardDataForbidden (): BadRequest {
  return new BadRequest('card_data_forbidden', 'The request contains what looks like a card number. Card details are entered on the bank\'s payment page only and must never be sent to this API')
}

// The route's pattern, not the raw URL: the router decodes percent-escapes,
// so `/%761/payments` reaches `/v1/payments` without starting with `/v1/`.
export function isCardGuarded (routeUrl: string): boolean {
  return routeUrl.startsWith('/v1/') && !routeUrl.startsWith('/v1/callbacks/') && !routeUrl.startsWith('/v1/channels/')
}

// Streamed uploads (portfolio CSV) are not parsed here; reading them would
// consume them. The import checks each row itself.
function inspectableBody (body: unknown): unknown {
  if (body === undefined || body === null || typeof body !== 'object') return body
  return Buffer.isBuffer(body) || isStream(body) ? undefined : body
}

const GUARD = Symbol('card guard')
type Hook = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void

function guardFor (formatted: readonly FormattedField[]): Hook {
  // a callback hook, not an async one: no promise on every request for a check that never waits
  return Object.assign((request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void => {
    const parts = { body: inspectableBody(request.body), query: request.query, params: request.params }
    done(containsCardNumber(parts, formatted) ? cardDataForbidden() : undefined)
  }, { [GUARD]: true })
}

export default fp(async function cardGuardPlugin (app: FastifyInstance) {
  app.addHook('onRoute', (route: RouteOptions) => {
    if (!isCardGuarded(route.url)) return
    const hooks = asArray(route.preValidation) as Hook[]
    // fastify may copy a GET route's options for its HEAD route: one guard each
    if (hooks.some((hook) => GUARD in hook)) return
    route.preValidation = [guardFor(route.config?.cardDataFormatted ?? []), ...hooks] as RouteOptions['preValidation']
  })
}, { name: 'card-guard' })
