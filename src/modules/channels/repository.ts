import { sql, type Insertable } from 'kysely'
import type { Handle, Trx } from '../../db/database.js'
import type {
  ChannelRegistriesTable, ChannelRegistryDifferencesTable, ChannelRegistryRow, RegistryChannel, RegistryDifferenceRow
} from './tables.js'

/** Registries of one channel and day are compared one at a time (the same file twice at once finds the first). */
export async function lockRegistryDay (trx: Trx, channel: RegistryChannel, date: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`channel-registry:${channel}:${date}`}, 0))`.execute(trx)
}

export async function findRegistryOfFile (
  db: Handle, channel: RegistryChannel, date: string, fileSha256: string
): Promise<ChannelRegistryRow | undefined> {
  return await db.selectFrom('channel_registries').selectAll()
    .where('channel', '=', channel).where('date', '=', date).where('file_sha256', '=', fileSha256)
    .executeTakeFirst()
}

export async function findRegistry (db: Handle, id: string): Promise<ChannelRegistryRow | undefined> {
  return await db.selectFrom('channel_registries').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function insertRegistry (trx: Trx, row: Insertable<ChannelRegistriesTable>): Promise<ChannelRegistryRow> {
  return await trx.insertInto('channel_registries').values(row).returningAll().executeTakeFirstOrThrow()
}

/** Rows per insert: well under Postgres's 65,535 parameters at 8 columns. */
const INSERT_BATCH = 1000

export async function insertDifferences (
  trx: Trx, rows: Array<Insertable<ChannelRegistryDifferencesTable>>
): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_BATCH) {
    await trx.insertInto('channel_registry_differences').values(rows.slice(i, i + INSERT_BATCH)).execute()
  }
}

/** A registry's differences, in the order they were found. */
export async function differencesOf (db: Handle, registryId: string): Promise<RegistryDifferenceRow[]> {
  return await db.selectFrom('channel_registry_differences').selectAll()
    .where('registry_id', '=', registryId).orderBy('id').execute()
}

/** Newest first; one more than `limit` tells whether a next page exists. */
export async function listRegistries (
  db: Handle,
  filter: { channel?: RegistryChannel, date?: string, limit: number, startingAfter: string | null }
): Promise<ChannelRegistryRow[]> {
  let query = db.selectFrom('channel_registries').selectAll().orderBy('id', 'desc').limit(filter.limit + 1)
  if (filter.channel !== undefined) query = query.where('channel', '=', filter.channel)
  if (filter.date !== undefined) query = query.where('date', '=', filter.date)
  if (filter.startingAfter !== null) query = query.where('id', '<', filter.startingAfter)
  return await query.execute()
}

// --- our side: the channel's payments (the payments module's table, read from this higher rank) ---------------

export interface ChannelPayment { id: string, txn_id: string, amount: bigint }

/** Our Kaspi payments with these transaction ids (a unique index serves it). */
export async function kaspiPaymentsOfTxns (db: Handle, txnIds: string[]): Promise<ChannelPayment[]> {
  if (txnIds.length === 0) return []
  const { rows } = await sql<ChannelPayment>`
    select p.id, p.kaspi_txn_id as txn_id, p.amount from payments p
     where p.kaspi_txn_id = any(${txnIds}::text[])`.execute(db)
  return rows
}

/** Our Kaspi payments paid within [from, to), in time order (the partial index payments_channel_paid serves it). */
export async function kaspiPaymentsPaidBetween (db: Handle, from: Date, to: Date): Promise<ChannelPayment[]> {
  const { rows } = await sql<ChannelPayment>`
    select p.id, p.kaspi_txn_id as txn_id, p.amount from payments p
     where p.channel = 'kaspi' and p.paid_at >= ${from} and p.paid_at < ${to}
     order by p.paid_at, p.id`.execute(db)
  return rows
}
