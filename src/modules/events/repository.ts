import { sql, type Insertable, type Updateable } from 'kysely'
import type {
  AttemptRow, BusinessEventRow, DeliveryRow, EndpointRow, EventRow, EventType, EventsTable, WebhookAttemptsTable,
  WebhookDeliveriesTable, WebhookEndpointsTable
} from './tables.js'
import { WEBHOOK_TEST_EVENT } from './tables.js'
import type { Handle } from '../../db/database.js'
import { ERASED } from '../../lib/erasure.js'


export async function insertEvent (db: Handle, row: Insertable<EventsTable>): Promise<EventRow> {
  return await db.insertInto('events').values(row).returningAll().executeTakeFirstOrThrow()
}

export async function findEvent (db: Handle, id: string): Promise<EventRow | undefined> {
  return await db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst()
}

/**
 * Events (and so webhook payloads, built from them at delivery) carry a
 * refund request as the API shows it, the operator's answer included: it
 * goes the way of the answer itself. Names are never stored in events.
 * Privacy's erasure calls it through ./erasure.ts (offer cl. 16).
 */
export async function eraseRefundRequestEvents (db: Handle, refundRequestPublicIds: string[]): Promise<void> {
  if (refundRequestPublicIds.length === 0) return
  await sql`update events set
      data = jsonb_set(data, '{responseText}', to_jsonb(${ERASED}::text)),
      partner_data = case when partner_data ? 'responseText'
        then jsonb_set(partner_data, '{responseText}', to_jsonb(${ERASED}::text)) else partner_data end
    where type like 'refund_request.%' and data->>'id' = any(${refundRequestPublicIds}::text[])
      and jsonb_typeof(data->'responseText') = 'string'`.execute(db)
}

const NO_ID = '00000000-0000-0000-0000-000000000000'

/** Newest first (ids are UUIDv7); `creditors` null: every event (the admin). Test events are not listed. */
export async function listEvents (
  db: Handle, filter: { creditors: string[] | null, type?: EventType, limit: number, startingBefore: string | null }
): Promise<BusinessEventRow[]> {
  let query = db.selectFrom('events').selectAll().where('type', '<>', WEBHOOK_TEST_EVENT).$narrowType<{ type: EventType }>()
    .orderBy('id', 'desc').limit(filter.limit + 1)
  if (filter.creditors !== null) query = query.where('creditor_id', 'in', filter.creditors.length > 0 ? filter.creditors : [NO_ID])
  if (filter.type !== undefined) query = query.where('type', '=', filter.type)
  if (filter.startingBefore !== null) query = query.where('id', '<', filter.startingBefore)
  return await query.execute()
}

// --- webhooks: endpoints, deliveries, attempts -------------------------------------
/** Whose endpoints: the agency's own (no creditors), or a partner's (creditors within the key's). */
export type EndpointOwner = { kind: 'admin' } | { kind: 'partner', keyId: string, creditors: string[] }

function owned (db: Handle, owner: EndpointOwner) {
  const query = db.selectFrom('webhook_endpoints').selectAll()
  return owner.kind === 'admin'
    ? query.where('creditors', 'is', null)
    : query.where('creditors', 'is not', null).where(sql<boolean>`creditors <@ ${owner.creditors}::uuid[]`)
}

export async function insertEndpoint (db: Handle, row: Insertable<WebhookEndpointsTable>): Promise<EndpointRow> {
  return await db.insertInto('webhook_endpoints').values(row).returningAll().executeTakeFirstOrThrow()
}

export async function findOwnedEndpoint (
  db: Handle, owner: EndpointOwner, id: string, options: { forUpdate?: boolean } = {}
): Promise<EndpointRow | undefined> {
  let query = owned(db, owner).where('id', '=', id)
  if (options.forUpdate === true) query = query.forUpdate()
  return await query.executeTakeFirst()
}

export async function findEndpoint (
  db: Handle, id: string, options: { forUpdate?: boolean } = {}
): Promise<EndpointRow | undefined> {
  let query = db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id)
  if (options.forUpdate === true) query = query.forUpdate()
  return await query.executeTakeFirst()
}

export async function listOwnedEndpoints (
  db: Handle, owner: EndpointOwner, page: { limit: number, startingAfter: string | null }
): Promise<EndpointRow[]> {
  let query = owned(db, owner).orderBy('id', 'asc').limit(page.limit + 1)
  if (page.startingAfter !== null) query = query.where('id', '>', page.startingAfter)
  return await query.execute()
}

export async function updateEndpoint (
  db: Handle, id: string, changes: Updateable<WebhookEndpointsTable>
): Promise<EndpointRow> {
  return await db.updateTable('webhook_endpoints').set({ ...changes, updated_at: new Date() }).where('id', '=', id)
    .returningAll().executeTakeFirstOrThrow()
}

export async function deleteEndpoint (db: Handle, id: string): Promise<void> {
  await db.deleteFrom('webhook_endpoints').where('id', '=', id).execute()
}

export async function findDelivery (
  db: Handle, id: string, options: { forUpdate?: boolean } = {}
): Promise<DeliveryRow | undefined> {
  let query = db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id)
  if (options.forUpdate === true) query = query.forUpdate()
  return await query.executeTakeFirst()
}

export async function updateDelivery (
  db: Handle, id: string, changes: Updateable<WebhookDeliveriesTable>
): Promise<DeliveryRow> {
  return await db.updateTable('webhook_deliveries').set(changes).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
}

/** Deliveries that still wait for an attempt: a disabled endpoint's are closed. */
/** The enabled endpoints a key created, locked. */
export async function enabledEndpointsOfKey (db: Handle, keyId: string): Promise<EndpointRow[]> {
  return await db.selectFrom('webhook_endpoints').selectAll().where('owner_key_id', '=', keyId).where('status', '=', 'enabled').orderBy('id').forUpdate().execute()
}

export async function failPendingDeliveries (db: Handle, endpointId: string): Promise<void> {
  await db.updateTable('webhook_deliveries').set({ status: 'failed', next_attempt_at: null, completed_at: new Date() })
    .where('endpoint_id', '=', endpointId).where('status', '=', 'pending').execute()
}

export type DeliveryWithEvent = DeliveryRow & { event_type: string }

function withEvent (db: Handle) {
  return db.selectFrom('webhook_deliveries').innerJoin('events', 'events.id', 'webhook_deliveries.event_id')
    .selectAll('webhook_deliveries').select('events.type as event_type')
}

export async function findDeliveryWithEvent (db: Handle, id: string): Promise<DeliveryWithEvent | undefined> {
  return await withEvent(db).where('webhook_deliveries.id', '=', id).executeTakeFirst()
}

/** Newest first. */
export async function listDeliveries (
  db: Handle, endpointId: string, page: { limit: number, startingBefore: string | null }
): Promise<DeliveryWithEvent[]> {
  let query = withEvent(db)
    .where('endpoint_id', '=', endpointId).orderBy('webhook_deliveries.id', 'desc').limit(page.limit + 1)
  if (page.startingBefore !== null) query = query.where('webhook_deliveries.id', '<', page.startingBefore)
  return await query.execute()
}

export async function insertAttempt (db: Handle, row: Insertable<WebhookAttemptsTable>): Promise<void> {
  await db.insertInto('webhook_attempts').values(row).execute()
}

export async function attemptsOf (db: Handle, deliveryIds: string[]): Promise<AttemptRow[]> {
  if (deliveryIds.length === 0) return []
  return await db.selectFrom('webhook_attempts').selectAll().where('delivery_id', 'in', deliveryIds).orderBy('id', 'asc').execute()
}

/** The enabled endpoints that want this event: a partner's only its creditors' events, the agency's own all. */
export async function endpointsFor (db: Handle, event: { type: string, creditorId: string | null }): Promise<string[]> {
  const rows = await db.selectFrom('webhook_endpoints').select('id')
    .where('status', '=', 'enabled')
    .where((eb) => event.creditorId === null
      ? eb('creditors', 'is', null)
      : eb.or([eb('creditors', 'is', null), sql<boolean>`${event.creditorId}::uuid = any(creditors)`]))
    .where((eb) => eb.or([sql<boolean>`'*' = any(enabled_events)`, sql<boolean>`${event.type}::text = any(enabled_events)`]))
    .execute()
  return rows.map((row) => row.id)
}

export async function insertDelivery (
  db: Handle, row: { id: string, endpoint_id: string, event_id: string }
): Promise<void> {
  await db.insertInto('webhook_deliveries').values({ ...row, next_attempt_at: new Date() }).execute()
}
