import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { BadRequest } from './errors.js'
import { containsCardNumber } from '../lib/card-data.js'

/**
 * Card data never enters the service (offer cl. 3, DESIGN section 4): a
 * `/v1/` request whose parsed body holds a card-number-like value is refused
 * with 400 `card_data_forbidden` before validation, idempotency and the
 * handler, so it is neither stored nor echoed. Nothing here logs the body.
 *
 * The bank's callbacks (`/v1/callbacks/`) are exempt: the bank protocol
 * governs them and they carry only masked PANs.
 */

// The route's pattern, not the raw URL: the router decodes percent-escapes,
// so `/%761/payments` reaches `/v1/payments` without starting with `/v1/`.
function isGuarded (request: FastifyRequest): boolean {
  const route = request.routeOptions.url
  return route !== undefined && route.startsWith('/v1/') && !route.startsWith('/v1/callbacks/')
}

// Streamed uploads (portfolio CSV) are not parsed here; reading them would consume them.
function isInspectable (body: unknown): boolean {
  if (body === undefined || body === null) return false
  if (typeof body !== 'object') return true
  return !Buffer.isBuffer(body) && typeof (body as { pipe?: unknown }).pipe !== 'function'
}

export default fp(async function cardGuardPlugin (app: FastifyInstance) {
  app.addHook('preValidation', async (request) => {
    if (!isGuarded(request) || !isInspectable(request.body)) return
    if (containsCardNumber(request.body)) {
      throw new BadRequest('card_data_forbidden', 'The request contains what looks like a card number. Card details are entered on the bank\'s payment page only and must never be sent to this API')
    }
  })
}, { name: 'card-guard' })
