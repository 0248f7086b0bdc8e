// The partner's window on payments and debts: every query is bounded by the
// key's creditors (the debt's creditor as spelled in the portfolio), so
// another creditor's object is simply not found.
import { sql } from 'kysely'
import type { Handle } from '../../db/database.js'
import { outstandingSql } from '../ledger/service.js'
import type { DebtAmounts, DebtFacts } from './views.js'
import type { DebtRow } from '../debts/tables.js'
import type { PaymentRow, PaymentStatus } from '../payments/tables.js'

export type PartnerPaymentRow = PaymentRow & DebtFacts & { payer_name_encrypted: string | null }

function paymentsOf (db: Handle, creditors: string[]) {
  return db.selectFrom('payments')
    .innerJoin('debts', 'debts.id', 'payments.debt_id')
    .leftJoin('acceptances', 'acceptances.id', 'payments.acceptance_id')
    .selectAll('payments')
    .select(['debts.contract_number', 'debts.creditor', 'acceptances.payer_full_name_encrypted as payer_name_encrypted'])
    .where('debts.creditor', 'in', creditors.length > 0 ? creditors : [''])
}

export async function listCreditorPayments (db: Handle, creditors: string[], filter: { status?: PaymentStatus, from?: Date, to?: Date, limit: number, startingAfter: string | null }): Promise<PartnerPaymentRow[]> {
  let query = paymentsOf(db, creditors).orderBy('payments.id', 'desc').limit(filter.limit + 1)
  if (filter.status !== undefined) query = query.where('payments.status', '=', filter.status)
  if (filter.from !== undefined) query = query.where('payments.created_at', '>=', filter.from)
  if (filter.to !== undefined) query = query.where('payments.created_at', '<', filter.to)
  if (filter.startingAfter !== null) query = query.where('payments.id', '<', filter.startingAfter)
  return await query.execute()
}

export async function findCreditorPayment (db: Handle, creditors: string[], id: string): Promise<PartnerPaymentRow | undefined> {
  return await paymentsOf(db, creditors).where('payments.id', '=', id).executeTakeFirst()
}

export async function findPaymentWithDebt (db: Handle, id: string): Promise<PartnerPaymentRow | undefined> {
  return await db.selectFrom('payments')
    .innerJoin('debts', 'debts.id', 'payments.debt_id')
    .selectAll('payments')
    .select(['debts.contract_number', 'debts.creditor', sql<string | null>`null`.as('payer_name_encrypted')])
    .where('payments.id', '=', id).executeTakeFirst()
}

export async function listCreditorDebts (db: Handle, creditors: string[] | null, filter: { ids?: string[], contractNumberNormalized?: string, status?: DebtRow['status'], limit: number, startingAfter: string | null }): Promise<DebtRow[]> {
  let query = db.selectFrom('debts').selectAll('debts')
    .select(sql<bigint>`coalesce(${outstandingSql(sql.ref('debts.id'))}, 0)`.as('outstanding'))
    .orderBy('id', 'asc').limit(filter.limit + 1)
  if (creditors !== null) query = query.where('creditor', 'in', creditors.length > 0 ? creditors : [''])
  if (filter.ids !== undefined) query = query.where('id', 'in', filter.ids.length > 0 ? filter.ids : ['00000000-0000-0000-0000-000000000000'])
  if (filter.contractNumberNormalized !== undefined) query = query.where('contract_number_normalized', '=', filter.contractNumberNormalized)
  if (filter.status !== undefined) query = query.where('status', '=', filter.status)
  if (filter.startingAfter !== null) query = query.where('id', '>', filter.startingAfter)
  return await query.execute()
}

/** Claim and net collected of each debt, from its journal lines (as the ledger's own debt view reads them). */
export async function amountsOfDebts (db: Handle, debtIds: string[]): Promise<Map<string, DebtAmounts>> {
  const amounts = new Map<string, DebtAmounts>(debtIds.map((id) => [id, { claim: 0n, collected: 0n }]))
  if (debtIds.length === 0) return amounts
  const { rows } = await sql<{ debt_id: string, kind: string, total: string }>`
    select e.debt_id, a.kind, sum(l.amount)::bigint as total
      from ledger_entries e
      join ledger_lines l on l.entry_id = e.id
      join ledger_accounts a on a.id = l.account_id
     where e.debt_id = any(${debtIds}::uuid[]) and a.kind in ('claims', 'acquirer')
     group by e.debt_id, a.kind`.execute(db)
  for (const row of rows) {
    const entry = amounts.get(row.debt_id) as DebtAmounts
    if (row.kind === 'claims') entry.claim = -BigInt(row.total)
    else entry.collected = BigInt(row.total)
  }
  return amounts
}

/** The payer's name (encrypted) of a payment, for the initials an event shows when it is read. */
export async function payerNameOf (db: Handle, paymentId: string): Promise<string | undefined> {
  const row = await db.selectFrom('payments').innerJoin('acceptances', 'acceptances.id', 'payments.acceptance_id')
    .select('acceptances.payer_full_name_encrypted as name').where('payments.id', '=', paymentId).executeTakeFirst()
  return row?.name
}

/** The debtor's name (encrypted) of a debt, likewise. */
export async function debtorNameOf (db: Handle, debtId: string): Promise<string | undefined> {
  const row = await db.selectFrom('debts').select('debtor_name_encrypted as name').where('id', '=', debtId).executeTakeFirst()
  return row?.name
}
