import type { Database, Trx } from '../../db/database.js'
import type { PiiCipher } from '../../lib/crypto.js'
import { fromPublicId, toPublicId, uuidv7 } from '../../lib/ids.js'
import { NotFound } from '../../http/errors.js'
import { queueDeliveries } from '../webhooks/fan-out.js'
import { initialsOf } from '../partners/views.js'
import { debtObjects, importObjects, paymentObjects, refundObjects, refundRequestObjects, type EventObjects } from './objects.js'
import { findEvent, insertEvent, listEvents } from './repository.js'
import { type EventType } from './tables.js'
import type { EventRow } from './tables.js'

/**
 * The module's public surface (DESIGN section 13, STYLE 19): every event is
 * a row written in the caller's transaction, together with its webhook
 * deliveries and their jobs, so an event exists exactly when its fact
 * commits and is never lost. Each `publish…` is one call at the place where
 * the fact happens.
 */

async function publish (trx: Trx, type: EventType, objects: EventObjects): Promise<string> {
  const row = await insertEvent(trx, {
    id: uuidv7(),
    type,
    creditor: objects.creditor,
    data: JSON.stringify(objects.data),
    partner_data: objects.partnerData === null ? null : JSON.stringify(objects.partnerData)
  })
  await queueDeliveries(trx, { id: row.id, type, creditor: row.creditor })
  return row.id
}

export type PaymentEventType = 'payment.succeeded' | 'payment.failed' | 'payment.expired' | 'payment.returned' | 'payment.needs_review'

export async function publishPaymentEvent (trx: Trx, type: PaymentEventType, paymentId: string): Promise<void> {
  await publish(trx, type, await paymentObjects(trx, paymentId))
}

export async function publishRefundEvent (trx: Trx, type: 'refund.succeeded' | 'refund.failed', refundId: string): Promise<void> {
  await publish(trx, type, await refundObjects(trx, refundId))
}

export async function publishRefundRequestEvent (trx: Trx, type: 'refund_request.submitted' | 'refund_request.decided', requestId: string): Promise<void> {
  await publish(trx, type, await refundRequestObjects(trx, requestId))
}

/** The debt's outstanding amount reached zero (a payment, a lowered claim). */
export async function publishDebtClosed (trx: Trx, debtId: string): Promise<void> {
  await publish(trx, 'debt.closed', await debtObjects(trx, debtId))
}

export async function publishImportCompleted (trx: Trx, importId: string): Promise<void> {
  await publish(trx, 'debt_import.completed', await importObjects(trx, importId))
}

// --- reading -------------------------------------------------------------------

export type Audience = { kind: 'admin' } | { kind: 'partner', creditors: string[] }
export interface EventView { id: string, type: EventType, createdAt: string, data: { object: Record<string, unknown> } }

/** The names an event's object shows, as initials, read now (so an erased person shows none). */
async function withNames (deps: { db: Database, pii: PiiCipher }, type: EventType, object: Record<string, unknown>): Promise<Record<string, unknown>> {
  if (type.startsWith('payment.') && 'payerName' in object && typeof object.id === 'string') {
    const paymentId = fromPublicId('payment', object.id)
    const row = paymentId === null
      ? undefined
      : await deps.db.selectFrom('payments').innerJoin('acceptances', 'acceptances.id', 'payments.acceptance_id')
        .select('acceptances.payer_full_name_encrypted as name').where('payments.id', '=', paymentId).executeTakeFirst()
    return { ...object, payerName: initialsOf(deps.pii, row?.name) }
  }
  if (type === 'debt.closed' && typeof object.id === 'string') {
    const debtId = fromPublicId('debt', object.id)
    const row = debtId === null ? undefined : await deps.db.selectFrom('debts').select('debtor_name_encrypted as name').where('id', '=', debtId).executeTakeFirst()
    return { ...object, debtorName: initialsOf(deps.pii, row?.name) ?? '' }
  }
  return object
}

/** `{id: "evt_…", type, createdAt, data: {object}}`, as this audience sees it. */
export async function eventView (deps: { db: Database, pii: PiiCipher }, row: EventRow, audience: Audience['kind']): Promise<EventView> {
  const object = audience === 'admin' ? row.data : (row.partner_data ?? {})
  return {
    id: toPublicId('event', row.id),
    type: row.type,
    createdAt: row.created_at.toISOString(),
    data: { object: await withNames(deps, row.type, object) }
  }
}

export async function listEventsPage (deps: { db: Database, pii: PiiCipher }, audience: Audience, query: { type?: EventType, limit?: number, startingAfter?: string }) {
  const limit = query.limit ?? 20
  const rows = await listEvents(deps.db, {
    creditors: audience.kind === 'admin' ? null : audience.creditors,
    type: query.type,
    limit,
    startingBefore: query.startingAfter === undefined ? null : fromPublicId('event', query.startingAfter)
  })
  const data = await Promise.all(rows.slice(0, limit).map(async (row) => await eventView(deps, row, audience.kind)))
  return { data, hasMore: rows.length > limit, nextCursor: rows.length > limit ? (data.at(-1)?.id ?? null) : null }
}

export function eventNotFound (): NotFound {
  return new NotFound('event_not_found', 'No event with this id')
}

/** Another creditor's event is not found, like an unknown one. */
export async function getEvent (deps: { db: Database, pii: PiiCipher }, audience: Audience, publicId: string): Promise<EventView> {
  const id = fromPublicId('event', publicId)
  const row = id === null ? undefined : await findEvent(deps.db, id)
  if (row === undefined) throw eventNotFound()
  if (audience.kind === 'partner' && (row.creditor === null || !audience.creditors.includes(row.creditor))) throw eventNotFound()
  return await eventView(deps, row, audience.kind)
}
