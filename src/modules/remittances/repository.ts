// The remittances table, written only here, and the ledger's lines a creditor's statement is made of (read: the
// ledger ranks below). SQL of the remittances module lives here.
import { sql } from 'kysely'
import type { Handle } from '../../db/database.js'
import type { EntryKind } from '../ledger/tables.js'
import type { RemittanceRow, RemittancesTable } from './tables.js'
import type { Insertable } from 'kysely'

export async function insertRemittance (db: Handle, row: Insertable<RemittancesTable>): Promise<RemittanceRow> {
  return await db.insertInto('remittances').values(row).returningAll().executeTakeFirstOrThrow()
}

export async function findRemittanceByReference (
  db: Handle, creditorId: string, reference: string
): Promise<RemittanceRow | undefined> {
  return await db.selectFrom('remittances').selectAll()
    .where('creditor_id', '=', creditorId).where('reference', '=', reference).executeTakeFirst()
}

export async function listRemittanceRows (
  db: Handle, filter: { creditorId: string, limit: number, startingAfter: string | null }
): Promise<RemittanceRow[]> {
  let query = db.selectFrom('remittances').selectAll().where('creditor_id', '=', filter.creditorId)
    .orderBy('id').limit(filter.limit + 1)
  if (filter.startingAfter !== null) query = query.where('id', '>', filter.startingAfter)
  return await query.execute()
}

/** One ledger entry as a statement reads it. */
export interface StatementEntryRow {
  entry_id: string
  kind: EntryKind
  created_at: Date
  payment_id: string | null
  reference_type: string
  reference_id: string
  /** Agency: the entry's line on the creditor's payable account; assignment: its line on the debt's receivable. */
  amount: string
  /** Agency: the entry's line on the commission account (0 when none). */
  commission: string
  remittance_reference: string | null
  remittance_date: string | null
}

const STATEMENT_KINDS = sql`('payment_received', 'refund_paid', 'payment_returned', 'remittance')`

/** A creditor's payable account (id and balance now), or undefined when nothing was ever payable to it. */
export async function payableAccountOf (
  db: Handle, key: string
): Promise<{ id: string, balance: bigint } | undefined> {
  return await db.selectFrom('ledger_accounts').select(['id', 'balance']).where('key', '=', key).executeTakeFirst()
}

/**
 * The sum of the account's lines booked at or after `since`: the balance at `since` is the balance now less it. The
 * entries are read by time (the money and remittance indexes), so the cost is the time since, not the history.
 */
export async function payableMovedSince (db: Handle, accountId: string, since: Date): Promise<bigint> {
  const { rows } = await sql<{ total: string }>`
    select coalesce(sum(l.amount), 0)::bigint as total
      from ledger_entries e
      join ledger_lines l on l.entry_id = e.id and l.account_id = ${accountId}
     where e.kind in ${STATEMENT_KINDS} and e.created_at >= ${since}`.execute(db)
  return BigInt(rows[0]?.total ?? 0)
}

/** The entries that moved a payable account from `from` to `to` (exclusive), in time order, at most `limit`. */
export async function payableEntries (
  db: Handle, range: { accountId: string, from: Date, to: Date, limit: number }
): Promise<StatementEntryRow[]> {
  const { rows } = await sql<StatementEntryRow>`
    select e.id as entry_id, e.kind, e.created_at, e.payment_id, e.reference_type, e.reference_id,
           l.amount::text as amount,
           coalesce((select c.amount from ledger_lines c join ledger_accounts ca on ca.id = c.account_id
                      where c.entry_id = e.id and ca.kind = 'commission'), 0)::text as commission,
           r.reference as remittance_reference, r.date as remittance_date
      from ledger_entries e
      join ledger_lines l on l.entry_id = e.id and l.account_id = ${range.accountId}
      left join remittances r on e.kind = 'remittance' and r.id = e.reference_id
     where e.kind in ${STATEMENT_KINDS} and e.created_at >= ${range.from} and e.created_at < ${range.to}
     order by e.created_at, e.id
     limit ${range.limit}`.execute(db)
  return rows
}

/**
 * An assignment creditor's collections from `from` to `to` (exclusive): its debts' payments received, refunds and
 * returns, each with its line on the debt's receivable (- collected, + restored), in time order, at most `limit`.
 */
export async function collectionEntries (
  db: Handle, range: { creditorId: string, from: Date, to: Date, limit: number }
): Promise<StatementEntryRow[]> {
  const { rows } = await sql<StatementEntryRow>`
    select e.id as entry_id, e.kind, e.created_at, e.payment_id, e.reference_type, e.reference_id,
           l.amount::text as amount, '0' as commission, null as remittance_reference, null as remittance_date
      from ledger_entries e
      join debts d on d.id = e.debt_id
      join ledger_accounts a on a.kind = 'receivable' and a.debt_id = e.debt_id
      join ledger_lines l on l.entry_id = e.id and l.account_id = a.id
     where e.kind in ('payment_received', 'refund_paid', 'payment_returned')
       and e.created_at >= ${range.from} and e.created_at < ${range.to}
       and d.creditor_id = ${range.creditorId}
     order by e.created_at, e.id
     limit ${range.limit}`.execute(db)
  return rows
}
