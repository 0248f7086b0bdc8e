import { sql, type Insertable } from 'kysely'
import type { EventRow, EventType, EventsTable } from './tables.js'
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

/** Newest first (ids are UUIDv7); `creditors` null: every event (the admin). */
export async function listEvents (db: Handle, filter: { creditors: string[] | null, type?: EventType, limit: number, startingBefore: string | null }): Promise<EventRow[]> {
  let query = db.selectFrom('events').selectAll().orderBy('id', 'desc').limit(filter.limit + 1)
  if (filter.creditors !== null) query = query.where('creditor', 'in', filter.creditors.length > 0 ? filter.creditors : [''])
  if (filter.type !== undefined) query = query.where('type', '=', filter.type)
  if (filter.startingBefore !== null) query = query.where('id', '<', filter.startingBefore)
  return await query.execute()
}
