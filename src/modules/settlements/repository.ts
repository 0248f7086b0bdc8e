import { sql, type Insertable } from 'kysely'
import type { Handle, Trx } from '../../db/database.js'
import type { PaymentSettlementsTable, SettlementChannel, SettlementRow, SettlementsTable } from './tables.js'

/**
 * Payouts of one channel are booked one at a time: the same payout twice at once finds the first, and two payouts
 * naming one payment see each other's payment_settlements rows.
 */
export async function lockChannelSettlements (trx: Trx, channel: SettlementChannel): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`settlements:${channel}`}, 0))`.execute(trx)
}

export async function findSettlementOfPayout (
  db: Handle, channel: SettlementChannel, payoutId: string
): Promise<SettlementRow | undefined> {
  return await db.selectFrom('settlements').selectAll()
    .where('channel', '=', channel).where('payout_id', '=', payoutId).executeTakeFirst()
}

export async function findSettlement (db: Handle, id: string): Promise<SettlementRow | undefined> {
  return await db.selectFrom('settlements').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function insertSettlement (trx: Trx, row: Insertable<SettlementsTable>): Promise<SettlementRow> {
  return await trx.insertInto('settlements').values(row).returningAll().executeTakeFirstOrThrow()
}

/** Rows per insert: well under Postgres's 65,535 parameters at 5 columns. */
const INSERT_BATCH = 1000

export async function insertPaymentSettlements (
  trx: Trx, rows: Array<Insertable<PaymentSettlementsTable>>
): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_BATCH) {
    await trx.insertInto('payment_settlements').values(rows.slice(i, i + INSERT_BATCH)).execute()
  }
}

/** Which of these payments a payout already settled (the primary key serves it). */
export async function settledAmong (db: Handle, paymentIds: string[]): Promise<Set<string>> {
  if (paymentIds.length === 0) return new Set()
  const rows = await db.selectFrom('payment_settlements').select('payment_id')
    .where('payment_id', 'in', paymentIds).execute()
  return new Set(rows.map((r) => r.payment_id))
}

/** Newest first; one more than `limit` tells whether a next page exists. */
export async function listSettlements (
  db: Handle, filter: { channel?: SettlementChannel, limit: number, startingAfter: string | null }
): Promise<SettlementRow[]> {
  let query = db.selectFrom('settlements').selectAll().orderBy('id', 'desc').limit(filter.limit + 1)
  if (filter.channel !== undefined) query = query.where('channel', '=', filter.channel)
  if (filter.startingAfter !== null) query = query.where('id', '<', filter.startingAfter)
  return await query.execute()
}

// --- our side: the channel's payments (the payments module's table, read from this higher rank) ---------------

export interface PayoutPayment {
  id: string
  reference: string
  amount: bigint
  status: string
  paid_at: Date | null
}

/**
 * The channel's payments a payout names: card payments by the bank's payment id, Kaspi payments by Kaspi's
 * transaction id (each a unique index).
 */
export async function paymentsOfReferences (
  db: Handle, channel: SettlementChannel, references: string[]
): Promise<PayoutPayment[]> {
  if (references.length === 0) return []
  const { rows } = channel === 'card'
    ? await sql<PayoutPayment>`
      select p.id, p.bank_payment_id as reference, p.amount, p.status, p.paid_at from payments p
       where p.bank_payment_id = any(${references}::text[]) and p.channel = 'card'`.execute(db)
    : await sql<PayoutPayment>`
      select p.id, p.kaspi_txn_id as reference, p.amount, p.status, p.paid_at from payments p
       where p.kaspi_txn_id = any(${references}::text[]) and p.channel = 'kaspi'`.execute(db)
  return rows
}

export interface UnsettledPayment {
  id: string
  channel: SettlementChannel
  amount: bigint
  reference: string | null
  paid_at: Date
}

/**
 * Succeeded payments no payout has settled, paid before `cutoff`, oldest id first (the partial index
 * payments_unsettled holds only the unsettled ones: the sweep costs that window, not the table).
 */
export async function unsettledPaidBefore (
  db: Handle,
  filter: { cutoff: Date, channel?: SettlementChannel, limit: number, startingAfter: string | null }
): Promise<UnsettledPayment[]> {
  const { rows } = await sql<UnsettledPayment>`
    select p.id, p.channel, p.amount, coalesce(p.bank_payment_id, p.kaspi_txn_id) as reference, p.paid_at
      from payments p
     where p.status = 'succeeded' and p.settled_at is null and p.paid_at < ${filter.cutoff}
       ${filter.channel === undefined ? sql`` : sql`and p.channel = ${filter.channel}`}
       ${filter.startingAfter === null ? sql`` : sql`and p.id > ${filter.startingAfter}`}
     order by p.id
     limit ${filter.limit + 1}`.execute(db)
  return rows
}

/** How many succeeded payments of each channel no payout has settled, paid before `cutoff`. */
export async function unsettledCounts (db: Handle, cutoff: Date): Promise<Map<SettlementChannel, number>> {
  const { rows } = await sql<{ channel: SettlementChannel, n: string }>`
    select p.channel, count(*) as n from payments p
     where p.status = 'succeeded' and p.settled_at is null and p.paid_at < ${cutoff}
     group by p.channel`.execute(db)
  return new Map(rows.map((r) => [r.channel, Number(r.n)]))
}
