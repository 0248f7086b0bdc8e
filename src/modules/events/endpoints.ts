// Webhook endpoints (docs/architecture.md, partners, events and webhooks): a partner's receive its creditors'
// events, the agency's own (admin) receive all. The secret is shown once,
// at creation or rotation, and kept encrypted (it must be read to sign).
import type { Database, Handle } from '../../db/database.js'
import type { PiiCipher } from '../../lib/crypto.js'
import { fromPublicId, toPublicId, uuidv7 } from '../../lib/ids.js'
import { DomainError } from '../../lib/errors.js'
import { recordAudit, type Actor } from '../audit/service.js'
import { queueAttempt } from './fan-out.js'
import { destinationProblem } from './http-client.js'
import { generateSecret } from './signature.js'
import { attemptsOf, deleteEndpoint, enabledEndpointsOfKey, failPendingDeliveries, findDelivery, findDeliveryWithEvent, findOwnedEndpoint, insertEndpoint, listDeliveries, listOwnedEndpoints, updateDelivery, updateEndpoint, type DeliveryWithEvent, type EndpointOwner } from './repository.js'
import type {
  CreateEndpointInput, UpdateEndpointInput, WebhookDelivery, WebhookEndpoint, WebhookEndpointWithSecret
} from './webhook-schemas.js'
import type { AttemptRow, EndpointRow } from './tables.js'
import { toPage } from '../../lib/page.js'

export interface WebhookDeps { db: Database, pii: PiiCipher, allowPrivateUrls: boolean }
export type { EndpointOwner }

// A rotation lets the old secret sign beside the new one this long.
const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000

export function toEndpoint (row: EndpointRow): WebhookEndpoint {
  return {
    id: toPublicId('webhookEndpoint', row.id),
    url: row.url,
    description: row.description,
    enabledEvents: row.enabled_events,
    status: row.status,
    disabledReason: row.disabled_reason,
    creditors: row.creditors === null ? null : row.creditors.map((id) => toPublicId('creditor', id)),
    previousSecretExpiresAt: row.previous_secret_expires_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString()
  }
}

export const KEY_REVOKED_REASON = 'the API key that created it was revoked'
export const KEY_EXPIRED_REASON = 'the API key that created it expired'

/**
 * A revoked key's endpoints stop receiving, in the revoking transaction (api-keys/service.ts): a key that leaked
 * could have registered an address of its own, and only partner keys see partner endpoints. An expired key's stop
 * within a minute of its expiry (the api-keys sweep): its holder can no longer see or disable them. Their pending
 * deliveries fail; a live partner key of the same creditors sees them, with the reason, and may enable them again.
 */
export async function disableEndpointsOfKey (
  trx: Handle, actor: Actor, keyId: string, reason: typeof KEY_REVOKED_REASON | typeof KEY_EXPIRED_REASON
): Promise<number> {
  const endpoints = await enabledEndpointsOfKey(trx, keyId)
  for (const endpoint of endpoints) {
    await updateEndpoint(trx, endpoint.id, { status: 'disabled', disabled_reason: reason })
    await failPendingDeliveries(trx, endpoint.id)
    await recordAudit(trx, actor, { action: 'webhook_endpoint.disabled', entityType: 'webhook_endpoint', entityId: toPublicId('webhookEndpoint', endpoint.id), details: { reason } })
  }
  return endpoints.length
}

export function endpointNotFound (): DomainError {
  return new DomainError('webhook_endpoint_not_found', 'No webhook endpoint with this id')
}

export function endpointDisabled (): DomainError {
  return new DomainError('webhook_endpoint_disabled', 'The endpoint is disabled: enable it first (PATCH status: enabled)')
}

function checkUrl (deps: WebhookDeps, url: string): string {
  const parsed = new URL(url)
  const problem = destinationProblem(parsed, deps.allowPrivateUrls)
  if (problem !== null) throw new DomainError('webhook_url_not_allowed', `This webhook URL is not allowed: ${problem}`, { errors: [{ path: 'body.url', message: problem }] })
  return parsed.toString()
}

export async function ownedEndpoint (
  deps: WebhookDeps, owner: EndpointOwner, publicId: string, db = deps.db
): Promise<EndpointRow> {
  const id = fromPublicId('webhookEndpoint', publicId)
  const row = id === null ? undefined : await findOwnedEndpoint(db, owner, id, { forUpdate: db !== deps.db })
  if (row === undefined) throw endpointNotFound()
  return row
}

export async function createEndpoint (
  deps: WebhookDeps, owner: EndpointOwner, actor: Actor, input: CreateEndpointInput
): Promise<WebhookEndpointWithSecret> {
  const url = checkUrl(deps, input.url)
  const secret = generateSecret()
  return await deps.db.transaction().execute(async (trx) => {
    const row = await insertEndpoint(trx, {
      id: uuidv7(),
      owner_key_id: owner.kind === 'partner' ? owner.keyId : null,
      creditors: owner.kind === 'partner' ? owner.creditors : null,
      url,
      description: input.description ?? null,
      enabled_events: input.enabledEvents ?? ['*'],
      secret_encrypted: deps.pii.encrypt(secret)
    })
    const endpoint = toEndpoint(row)
    await recordAudit(trx, actor, { action: 'webhook_endpoint.created', entityType: 'webhook_endpoint', entityId: endpoint.id, details: { url, enabledEvents: row.enabled_events } })
    return { ...endpoint, secret }
  })
}

export async function listEndpoints (
  deps: WebhookDeps, owner: EndpointOwner, page: { limit?: number, startingAfter?: string }
) {
  const limit = page.limit ?? 20
  const rows = await listOwnedEndpoints(deps.db, owner, { limit, startingAfter: page.startingAfter === undefined ? null : fromPublicId('webhookEndpoint', page.startingAfter) })
  return toPage(rows, limit, (shown) => shown.map(toEndpoint))
}

export async function getEndpoint (
  deps: WebhookDeps, owner: EndpointOwner, publicId: string
): Promise<WebhookEndpoint> {
  return toEndpoint(await ownedEndpoint(deps, owner, publicId))
}

export async function changeEndpoint (
  deps: WebhookDeps, owner: EndpointOwner, actor: Actor, publicId: string, input: UpdateEndpointInput
): Promise<WebhookEndpoint> {
  const url = input.url === undefined ? undefined : checkUrl(deps, input.url)
  return await deps.db.transaction().execute(async (trx) => {
    const before = await ownedEndpoint(deps, owner, publicId, trx)
    const reenabled = input.status === 'enabled' && before.status !== 'enabled'
    const row = await updateEndpoint(trx, before.id, {
      ...(url !== undefined ? { url } : {}),
      ...(input.enabledEvents !== undefined ? { enabled_events: input.enabledEvents } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.status !== undefined ? { status: input.status } : {}),
      ...(input.status === 'disabled' && before.status !== 'disabled' ? { disabled_reason: 'disabled by its owner' } : {}),
      // enabled again: a fresh start for the 5-day failure count
      ...(reenabled ? { disabled_reason: null, failing_since: null } : {})
    })
    await recordAudit(trx, actor, { action: 'webhook_endpoint.updated', entityType: 'webhook_endpoint', entityId: publicId, details: { ...input } })
    return toEndpoint(row)
  })
}

export async function removeEndpoint (
  deps: WebhookDeps, owner: EndpointOwner, actor: Actor, publicId: string
): Promise<WebhookEndpoint> {
  return await deps.db.transaction().execute(async (trx) => {
    const row = await ownedEndpoint(deps, owner, publicId, trx)
    await deleteEndpoint(trx, row.id)
    await recordAudit(trx, actor, { action: 'webhook_endpoint.deleted', entityType: 'webhook_endpoint', entityId: publicId, details: { url: row.url } })
    return toEndpoint(row)
  })
}

/** A new secret, shown once; the old one keeps signing beside it for 24 hours. */
export async function rotateSecret (
  deps: WebhookDeps, owner: EndpointOwner, actor: Actor, publicId: string
): Promise<WebhookEndpointWithSecret> {
  const secret = generateSecret()
  return await deps.db.transaction().execute(async (trx) => {
    const before = await ownedEndpoint(deps, owner, publicId, trx)
    const row = await updateEndpoint(trx, before.id, {
      secret_encrypted: deps.pii.encrypt(secret),
      previous_secret_encrypted: before.secret_encrypted,
      previous_secret_expires_at: new Date(Date.now() + ROTATION_OVERLAP_MS)
    })
    await recordAudit(trx, actor, { action: 'webhook_endpoint.secret_rotated', entityType: 'webhook_endpoint', entityId: publicId })
    return { ...toEndpoint(row), secret }
  })
}

function toAttempt (row: AttemptRow) {
  return {
    attemptedAt: row.attempted_at.toISOString(),
    statusCode: row.status_code,
    durationMs: row.duration_ms,
    error: row.error,
    nextRetryAt: row.next_retry_at?.toISOString() ?? null
  }
}

export function toDelivery (row: DeliveryWithEvent, attempts: AttemptRow[]): WebhookDelivery {
  const own = attempts.filter((a) => a.delivery_id === row.id).map(toAttempt)
  const last = own.at(-1)
  return {
    id: toPublicId('webhookDelivery', row.id),
    endpointId: toPublicId('webhookEndpoint', row.endpoint_id),
    eventId: toPublicId('event', row.event_id),
    eventType: row.event_type,
    status: row.status,
    attemptCount: row.attempts,
    attemptedAt: last?.attemptedAt ?? null,
    statusCode: last?.statusCode ?? null,
    durationMs: last?.durationMs ?? null,
    error: last?.error ?? null,
    nextRetryAt: row.status === 'pending' ? (row.next_attempt_at?.toISOString() ?? null) : null,
    attempts: own,
    createdAt: row.created_at.toISOString(),
    completedAt: row.completed_at?.toISOString() ?? null
  }
}

export async function listEndpointDeliveries (
  deps: WebhookDeps, owner: EndpointOwner, publicId: string, page: { limit?: number, startingAfter?: string }
) {
  const endpoint = await ownedEndpoint(deps, owner, publicId)
  const limit = page.limit ?? 20
  const db = deps.db
  const rows = await listDeliveries(db, endpoint.id, { limit, startingBefore: page.startingAfter === undefined ? null : fromPublicId('webhookDelivery', page.startingAfter) })
  return await toPage(rows, limit, async (shown) => {
    const attempts = await attemptsOf(db, shown.map((r) => r.id))
    return shown.map((row) => toDelivery(row, attempts))
  })
}

/** The same event again (same `webhook-id`), at once; a delivery that succeeded may be sent again too. */
export async function retryDelivery (
  deps: WebhookDeps, owner: EndpointOwner, actor: Actor, endpointPublicId: string, deliveryPublicId: string
): Promise<WebhookDelivery> {
  return await deps.db.transaction().execute(async (trx) => {
    const endpoint = await ownedEndpoint(deps, owner, endpointPublicId, trx)
    const id = fromPublicId('webhookDelivery', deliveryPublicId)
    const db = trx
    const delivery = id === null ? undefined : await findDelivery(db, id, { forUpdate: true })
    if (delivery === undefined || delivery.endpoint_id !== endpoint.id) throw new DomainError('webhook_delivery_not_found', 'No delivery with this id at this endpoint')
    if (endpoint.status !== 'enabled') throw endpointDisabled()
    await updateDelivery(db, delivery.id, { status: 'pending', next_attempt_at: new Date(), completed_at: null })
    await queueAttempt(trx, delivery.id)
    await recordAudit(trx, actor, { action: 'webhook_delivery.retried', entityType: 'webhook_delivery', entityId: deliveryPublicId, details: { endpointId: endpointPublicId } })
    return toDelivery(
      await findDeliveryWithEvent(db, delivery.id) as DeliveryWithEvent, await attemptsOf(db, [delivery.id])
    )
  })
}
