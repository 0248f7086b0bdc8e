// The events module's service (docs/architecture.md, "Events and webhooks"): every event is a row written in the
// caller's transaction, together with its webhook deliveries and their jobs, so an event exists exactly when its
// fact commits and is never lost (an outbox). Each `publish…` is one call at the place where the fact happens.
// The webhooks are part of this one outbox module: endpoints.ts (the API's side), fan-out.ts (a delivery per
// endpoint, in the event's transaction), delivery.ts (the worker's side).
import type { Database, Trx } from '../../db/database.js'
import type { PiiCipher } from '../../lib/crypto.js'
import { fromPublicId, toPublicId, uuidv7 } from '../../lib/ids.js'
import { DomainError } from '../../lib/errors.js'
import { queueDeliveries } from './fan-out.js'
import { initialsOf } from '../../lib/initials.js'
import { findEvent, insertEvent, listEvents } from './repository.js'
import { isBusinessEvent, type EventType } from './tables.js'
import type { BusinessEventRow, EventRow, StoredEventType } from './tables.js'
import { toPage } from '../../lib/page.js'


/** The object an event carries, as it stood when the fact happened, in the back office's view and a partner's. */
export interface EventObjects {
  /** Whose debt (the name as the debt holds it, and the creditor's id, a uuid); null: the agency's own fact. */
  creditor: string | null
  creditorId: string | null
  data: Record<string, unknown>
  partnerData: Record<string, unknown> | null
}

/**
 * Writes the event and its webhook deliveries in the caller's transaction. The module where the fact happens builds
 * the objects (payments/events.ts, refunds/events.ts, debts/events.ts). Names are never stored: a payer's or a
 * debtor's initials are filled in when the event is read or delivered (withNames), so an erasure leaves nothing here.
 */
export async function publishEvent (trx: Trx, type: EventType, objects: EventObjects): Promise<string> {
  const row = await insertEvent(trx, {
    id: uuidv7(),
    type,
    creditor: objects.creditor,
    creditor_id: objects.creditorId,
    data: JSON.stringify(objects.data),
    partner_data: objects.partnerData === null ? null : JSON.stringify(objects.partnerData)
  })
  await queueDeliveries(trx, { id: row.id, type, creditorId: row.creditor_id })
  return row.id
}

export type PaymentEventType = 'payment.succeeded' | 'payment.failed' | 'payment.expired' | 'payment.returned' | 'payment.needs_review'

// --- reading -------------------------------------------------------------------

/** A partner's: its key's creditor ids. */
export type Audience = { kind: 'admin' } | { kind: 'partner', creditors: string[] }
export interface EventView { id: string, type: EventType, createdAt: string, data: { object: Record<string, unknown> } }

/**
 * Where the names an event shows are read, each from the module that owns it (payments: the payer's, debts: the
 * debtor's). The events module sits below both, so the composition root hands these in (app.eventNames).
 */
export interface EventNames {
  payerNameOf: (db: Database, paymentId: string) => Promise<string | undefined>
  debtorNameOf: (db: Database, debtId: string) => Promise<string | undefined>
}

/** What reading an event needs: the database, the cipher of the names, and where the names are. */
export interface EventReadDeps { db: Database, pii: PiiCipher, names: EventNames }

/** The names an event's object shows, as initials, read now (so an erased person shows none). */
async function withNames (
  deps: EventReadDeps, type: EventType, object: Record<string, unknown>
): Promise<Record<string, unknown>> {
  if (type.startsWith('payment.') && 'payerName' in object && typeof object.id === 'string') {
    const paymentId = fromPublicId('payment', object.id)
    const name = paymentId === null ? undefined : await deps.names.payerNameOf(deps.db, paymentId)
    return { ...object, payerName: initialsOf(deps.pii, name) }
  }
  if (type === 'debt.closed' && typeof object.id === 'string') {
    const debtId = fromPublicId('debt', object.id)
    const name = debtId === null ? undefined : await deps.names.debtorNameOf(deps.db, debtId)
    return { ...object, debtorName: initialsOf(deps.pii, name) ?? '' }
  }
  return object
}

/**
 * A refund request event stored before partners stopped getting the agency's answer (refunds/schemas.ts) shows it no
 * more.
 */
function withoutAnswer (type: EventType, object: Record<string, unknown>): Record<string, unknown> {
  if (!type.startsWith('refund_request.') || !('responseText' in object)) return object
  const { responseText: _answer, ...shown } = object
  return shown
}

/** `{id: "evt_…", type, createdAt, data: {object}}`, as this audience sees it. */
export async function eventView (
  deps: EventReadDeps, row: BusinessEventRow, audience: Audience['kind']
): Promise<EventView> {
  const object = audience === 'admin' ? row.data : withoutAnswer(row.type, row.partner_data ?? {})
  return {
    id: toPublicId('event', row.id),
    type: row.type,
    createdAt: row.created_at.toISOString(),
    data: { object: await withNames(deps, row.type, object) }
  }
}

export async function listEventsPage (
  deps: EventReadDeps, audience: Audience, query: { type?: EventType, limit?: number, startingAfter?: string }
) {
  const limit = query.limit ?? 20
  const rows = await listEvents(deps.db, {
    creditors: audience.kind === 'admin' ? null : audience.creditors,
    type: query.type,
    limit,
    startingBefore: query.startingAfter === undefined ? null : fromPublicId('event', query.startingAfter)
  })
  return await toPage(rows, limit, async (shown) =>
    await Promise.all(shown.map(async (row) => await eventView(deps, row, audience.kind))))
}

export function eventNotFound (): DomainError {
  return new DomainError('event_not_found', 'No event with this id')
}

/** Another creditor's event is not found, like an unknown one. */
export async function getEvent (deps: EventReadDeps, audience: Audience, publicId: string): Promise<EventView> {
  const id = fromPublicId('event', publicId)
  const row = id === null ? undefined : await findEvent(deps.db, id)
  if (row === undefined || !isBusinessEvent(row)) throw eventNotFound()
  if (audience.kind === 'partner' && (row.creditor_id === null || !audience.creditors.includes(row.creditor_id))) throw eventNotFound()
  return await eventView(deps, row, audience.kind)
}

/** What a delivery POSTs, as the endpoint's audience sees it: an event of the API, or a test event as it was stored. */
export async function deliveryView (
  deps: EventReadDeps, row: EventRow, audience: Audience['kind']
): Promise<{ id: string, type: StoredEventType, createdAt: string, data: { object: Record<string, unknown> } }> {
  if (isBusinessEvent(row)) return await eventView(deps, row, audience)
  return { id: toPublicId('event', row.id), type: row.type, createdAt: row.created_at.toISOString(), data: { object: row.data } }
}

export { findEvent }
