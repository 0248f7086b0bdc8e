import { sql } from 'kysely'
import type { Database } from '../../db/database.js'

export interface ReportLineRow {
  entry_id: string
  kind: 'payment_received' | 'refund_paid' | 'payment_returned'
  created_at: Date
  payment_id: string
  contract_number: string
  /** The creditor as the debt's portfolio row wrote it. */
  creditor: string
  creditor_id: string
  /** The creditor's name on record (its totals are one per creditor, whatever the spellings of its debts). */
  creditor_name: string
  bank_payment_id: string | null
  channel: 'card' | 'kaspi'
  kaspi_txn_id: string | null
  payment_code: string
  /** The entry's line on the channel's clearing account: + money in, - money back. */
  clearing_amount: string
}

/** `creditors`: creditor ids (uuids); null: every creditor. */
/**
 * The money entries of the ledger (payments in, refunds and returns out) from `from` to `to` (exclusive), in time
 * order, at most `limit`: read by the index `ledger_entries_money_by_time` (migration 0035), never a scan of history.
 */
export async function moneyEntries (
  db: Database, range: { from: Date, to: Date, creditors: string[] | null, limit: number }
): Promise<ReportLineRow[]> {
  const { rows } = await sql<ReportLineRow>`
    select e.id as entry_id, e.kind, e.created_at, e.payment_id, d.contract_number, d.creditor, d.creditor_id,
           c.name as creditor_name, p.bank_payment_id, p.channel, p.kaspi_txn_id, d.payment_code,
           l.amount::text as clearing_amount
      from ledger_entries e
      join debts d on d.id = e.debt_id
      join creditors c on c.id = d.creditor_id
      join payments p on p.id = e.payment_id
      join ledger_lines l on l.entry_id = e.id
      join ledger_accounts a on a.id = l.account_id and a.kind = 'clearing'
     where e.kind in ('payment_received', 'refund_paid', 'payment_returned')
       and e.created_at >= ${range.from} and e.created_at < ${range.to}
       ${range.creditors === null ? sql`` : sql`and d.creditor_id = any(${range.creditors}::uuid[])`}
     order by e.created_at, e.id
     limit ${range.limit}`.execute(db)
  return rows
}
