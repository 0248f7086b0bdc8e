// Webhook tooling (DESIGN 20): a test event sent to one endpoint on request, and an event sent again. Both make a new
// delivery through the normal path (fan-out.ts queueDelivery, then the worker, delivery.ts): signed per Standard
// Webhooks, retried on the schedule, listed among the endpoint's deliveries. The webhook-id of a redelivery is the
// event's id, as on every delivery of it: a receiver that dedupes by it and already has it acknowledges it again.
import { DomainError } from '../../lib/errors.js'
import { fromPublicId, toPublicId, uuidv7 } from '../../lib/ids.js'
import { recordAudit, type Actor } from '../audit/service.js'
import { endpointDisabled, endpointNotFound, ownedEndpoint, toDelivery, type EndpointOwner, type WebhookDeps } from './endpoints.js'
import { queueDelivery } from './fan-out.js'
import { attemptsOf, endpointsFor, findDeliveryWithEvent, findEndpoint, findEvent, insertEvent } from './repository.js'
import { eventNotFound } from './service.js'
import { isBusinessEvent, WEBHOOK_TEST_EVENT, type EndpointRow, type EventRow } from './tables.js'
import type { Trx } from '../../db/database.js'
import type { EventRedelivery, WebhookDelivery } from './webhook-schemas.js'

export const TEST_EVENT_MESSAGE = 'A test event sent on request: it stands for no payment or other fact. Answer 2xx.'

async function deliveryOf (trx: Trx, deliveryId: string): Promise<WebhookDelivery> {
  const row = await findDeliveryWithEvent(trx, deliveryId)
  if (row === undefined) throw new Error(`delivery ${deliveryId} vanished in its own transaction`)
  return toDelivery(row, await attemptsOf(trx, [deliveryId]))
}

/**
 * A `webhook.test` event, stored with no creditor (so never listed, and seen by no partner's event list), delivered to
 * this endpoint only. A disabled endpoint receives nothing: 409 `webhook_endpoint_disabled`, as a retry.
 */
export async function sendTestEvent (
  deps: WebhookDeps, owner: EndpointOwner, actor: Actor, endpointPublicId: string
): Promise<WebhookDelivery> {
  return await deps.db.transaction().execute(async (trx) => {
    const endpoint = await ownedEndpoint(deps, owner, endpointPublicId, trx)
    if (endpoint.status !== 'enabled') throw endpointDisabled()
    const event = await insertEvent(trx, {
      id: uuidv7(),
      type: WEBHOOK_TEST_EVENT,
      creditor: null,
      creditor_id: null,
      data: JSON.stringify({ endpointId: endpointPublicId, message: TEST_EVENT_MESSAGE }),
      partner_data: null
    })
    const deliveryId = await queueDelivery(trx, endpoint.id, event.id)
    await recordAudit(trx, actor, { action: 'webhook_endpoint.tested', entityType: 'webhook_endpoint', entityId: endpointPublicId, details: { eventId: toPublicId('event', event.id) } })
    return await deliveryOf(trx, deliveryId)
  })
}

/**
 * Whether the endpoint would have been sent this event (repository.ts endpointsFor, for one endpoint and whatever its
 * status): it wants the type, and sees the creditor (a partner's only its creditors' events; the agency's all).
 */
function receives (endpoint: EndpointRow, event: EventRow): boolean {
  const wantsType = endpoint.enabled_events.includes('*') || endpoint.enabled_events.includes(event.type)
  const sees = endpoint.creditors === null ||
    (event.creditor_id !== null && endpoint.creditors.includes(event.creditor_id))
  return wantsType && sees
}

/**
 * The event again, as a new delivery: to the endpoint named (which must receive it: 422
 * `webhook_endpoint_not_subscribed`; enabled: 409 `webhook_endpoint_disabled`), or to every enabled endpoint that
 * receives it now (perhaps none). A test event is not an event of the API: 404, as an unknown one.
 */
export async function redeliverEvent (
  deps: Pick<WebhookDeps, 'db'>, actor: Actor, eventPublicId: string, input: { endpointId?: string }
): Promise<EventRedelivery> {
  return await deps.db.transaction().execute(async (trx) => {
    const id = fromPublicId('event', eventPublicId)
    const event = id === null ? undefined : await findEvent(trx, id)
    if (event === undefined || !isBusinessEvent(event)) throw eventNotFound()
    let endpointIds: string[]
    if (input.endpointId !== undefined) {
      const endpointId = fromPublicId('webhookEndpoint', input.endpointId)
      const endpoint = endpointId === null ? undefined : await findEndpoint(trx, endpointId, { forUpdate: true })
      if (endpoint === undefined) throw endpointNotFound()
      if (!receives(endpoint, event)) throw new DomainError('webhook_endpoint_not_subscribed', `The endpoint does not receive ${event.type} events of this creditor`, { errors: [{ path: 'body.endpointId', message: 'does not receive this event' }] })
      if (endpoint.status !== 'enabled') throw endpointDisabled()
      endpointIds = [endpoint.id]
    } else {
      endpointIds = await endpointsFor(trx, { type: event.type, creditorId: event.creditor_id })
    }
    const deliveryIds: string[] = []
    for (const endpointId of endpointIds) deliveryIds.push(await queueDelivery(trx, endpointId, event.id))
    await recordAudit(trx, actor, {
      action: 'event.redelivered',
      entityType: 'event',
      entityId: eventPublicId,
      details: { endpointIds: endpointIds.map((endpointId) => toPublicId('webhookEndpoint', endpointId)) }
    })
    const deliveries: WebhookDelivery[] = []
    for (const deliveryId of deliveryIds) deliveries.push(await deliveryOf(trx, deliveryId))
    return { eventId: eventPublicId, deliveries }
  })
}
