import type { Insertable } from 'kysely'
import type { EventRow, EventType, EventsTable } from './tables.js'
import type { Handle } from '../../db/database.js'


export async function insertEvent (db: Handle, row: Insertable<EventsTable>): Promise<EventRow> {
  return await db.insertInto('events').values(row).returningAll().executeTakeFirstOrThrow()
}

export async function findEvent (db: Handle, id: string): Promise<EventRow | undefined> {
  return await db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst()
}

/** Newest first (ids are UUIDv7); `creditors` null: every event (the admin). */
export async function listEvents (db: Handle, filter: { creditors: string[] | null, type?: EventType, limit: number, startingBefore: string | null }): Promise<EventRow[]> {
  let query = db.selectFrom('events').selectAll().orderBy('id', 'desc').limit(filter.limit + 1)
  if (filter.creditors !== null) query = query.where('creditor', 'in', filter.creditors.length > 0 ? filter.creditors : [''])
  if (filter.type !== undefined) query = query.where('type', '=', filter.type)
  if (filter.startingBefore !== null) query = query.where('id', '<', filter.startingBefore)
  return await query.execute()
}
