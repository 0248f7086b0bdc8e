// The ledger's tables, read and written only here. Lines are inserted, never
// changed; the database moves each account's balance in the statement that
// inserts its lines and refuses every other write to a balance.
import { sql, type Expression, type RawBuilder } from 'kysely'
import { toPublicId } from '../../lib/ids.js'
import type { Handle } from '../../db/database.js'
import type { AccountKind, EntryKind, ReferenceType } from './tables.js'

export interface DebtAmounts { claim: bigint, collected: bigint }
export interface LineRow { entry_id: string, account_id: string, amount: bigint }
export interface EntryRow {
  id: string
  kind: EntryKind
  debt_id: string | null
  payment_id: string | null
  reference_type: ReferenceType
  reference_id: string
}

/**
 * The lines that make a debt's claim: the claims side of claim entries only. An agency payment's entry also has a
 * claims line (+applied: the claim became money owed to the creditor, migration 0036), which is collection, not claim.
 */
const CLAIM_LINE = sql`(e.kind in ('claim_assigned', 'claim_adjusted', 'claim_recalled'))`
const claimOrMoney = sql`(a.kind <> 'claims' or ${CLAIM_LINE})`

/** The receivable balance of a debt, as an expression over a debt id (a cheap indexed subquery). */
export function receivableBalance (debtId: Expression<string>): RawBuilder<bigint> {
  return sql<bigint>`(select a.balance from ledger_accounts a where a.kind = 'receivable' and a.debt_id = ${debtId})`
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
     where e.debt_id = any(${debtIds}::uuid[]) and a.kind in ('claims', 'clearing') and ${claimOrMoney}
     group by e.debt_id, a.kind`.execute(db)
  for (const row of rows) {
    const entry = amounts.get(row.debt_id) as DebtAmounts
    if (row.kind === 'claims') entry.claim = -BigInt(row.total)
    else entry.collected = BigInt(row.total)
  }
  return amounts
}

export async function receivableBalances (db: Handle, debtIds: string[]): Promise<Map<string, bigint>> {
  if (debtIds.length === 0) return new Map()
  const rows = await db.selectFrom('ledger_accounts').select(['debt_id', 'balance'])
    .where('kind', '=', 'receivable').where('debt_id', 'in', debtIds).execute()
  return new Map(rows.map((r) => [r.debt_id as string, r.balance]))
}

/** What a channel (the card acquirer, Kaspi) holds for us until it pays out: `clearing:<channel>` (migration 0029). */
export async function clearingAccount (db: Handle, channel: 'card' | 'kaspi'): Promise<string> {
  const row = await db.selectFrom('ledger_accounts').select('id').where('key', '=', `clearing:${channel}`)
    .executeTakeFirstOrThrow()
  return row.id
}

/** An account of the agency's own (clearing, bank, fees), locked and read fresh: it must exist (migration 0034). */
export async function lockSharedAccount (db: Handle, key: string): Promise<{ id: string, balance: bigint }> {
  return await db.selectFrom('ledger_accounts').select(['id', 'balance']).where('key', '=', key)
    .forNoKeyUpdate().executeTakeFirstOrThrow()
}

/** What the agency owes a creditor under an agency agreement (migration 0036): by the creditor's id. */
export function payableKey (creditorId: string): string {
  return `creditor_payable:${toPublicId('creditor', creditorId)}`
}

/** A creditor's payable account, opened when missing; its id. */
export async function ensurePayableAccount (db: Handle, creditorId: string): Promise<string> {
  const key = payableKey(creditorId)
  const found = await db.selectFrom('ledger_accounts').select('id').where('key', '=', key).executeTakeFirst()
  if (found !== undefined) return found.id
  await db.insertInto('ledger_accounts').values({ key, kind: 'creditor_payable', creditor_id: creditorId })
    .onConflict((oc) => oc.column('key').doNothing()).execute()
  const row = await db.selectFrom('ledger_accounts').select('id').where('key', '=', key).executeTakeFirstOrThrow()
  return row.id
}

/** A creditor's payable account locked and read fresh, or undefined when nothing was ever payable to it. */
export async function lockPayableAccount (
  db: Handle, creditorId: string
): Promise<{ id: string, balance: bigint } | undefined> {
  return await db.selectFrom('ledger_accounts').select(['id', 'balance']).where('key', '=', payableKey(creditorId))
    .forNoKeyUpdate().executeTakeFirst()
}

/** The payable balances (debit-positive) of these creditors; a creditor without the account is absent. */
export async function payableBalances (db: Handle, creditorIds: string[]): Promise<Map<string, bigint>> {
  if (creditorIds.length === 0) return new Map()
  const rows = await db.selectFrom('ledger_accounts').select(['creditor_id', 'balance'])
    .where('key', 'in', creditorIds.map(payableKey)).execute()
  return new Map(rows.map((r) => [r.creditor_id as string, r.balance]))
}

/**
 * What a debt's payments have posted to its creditor under an agency agreement, and what refunds and returns have
 * reversed so far (DESIGN 18): the base of the next reversal. Kept per debt, not per payment: money moves between a
 * debt's payments (a refund takes another payment's surplus first), so a reversal capped at one payment's posting
 * could leave a fully refunded debt owing its creditor. Null when no payment of the debt posted to a creditor.
 */
export interface AgencyPosting {
  /** The claims lines of the debt's payments: what became owed to the creditor, commission included. */
  applied: bigint
  /** The commission those payments booked. */
  commission: bigint
  /** What refunds and returns have reversed of each, so far. */
  reversed: bigint
  commissionReversed: bigint
  claimsAccountId: string
  payableAccountId: string
  commissionAccountId: string
}

export async function agencyPostingOfDebt (db: Handle, debtId: string): Promise<AgencyPosting | null> {
  const { rows } = await sql<{ received: boolean, kind: AccountKind, account_id: string, amount: string }>`
    select e.kind = 'payment_received' as received, a.kind, l.account_id, sum(l.amount)::bigint as amount
      from ledger_entries e
      join ledger_lines l on l.entry_id = e.id
      join ledger_accounts a on a.id = l.account_id
     where e.debt_id = ${debtId}
       and e.kind in ('payment_received', 'refund_paid', 'payment_returned')
       and a.kind in ('claims', 'creditor_payable', 'commission')
     group by 1, a.kind, l.account_id`.execute(db)
  const sum = (received: boolean, kind: AccountKind): bigint => rows
    .filter((r) => r.received === received && r.kind === kind).reduce((total, r) => total + BigInt(r.amount), 0n)
  // a payment under an agency agreement is the only one with a claims line: claims +applied
  const claims = rows.find((r) => r.received && r.kind === 'claims')
  if (claims === undefined) return null
  const account = await db.selectFrom('ledger_accounts').select('creditor_id')
    .where('id', '=', claims.account_id).executeTakeFirstOrThrow()
  return {
    applied: sum(true, 'claims'),
    commission: -sum(true, 'commission'),
    reversed: -sum(false, 'claims'),
    commissionReversed: sum(false, 'commission'),
    claimsAccountId: claims.account_id,
    payableAccountId: await ensurePayableAccount(db, account.creditor_id as string),
    commissionAccountId: await commissionAccount(db)
  }
}

/**
 * What a payment's `payment_received` posted under an agency agreement, and how much of the receivable its refunds
 * and returns restored so far: the base of the next reversal. Null when nothing was posted to a creditor's payable.
 */
export interface PaymentAgencyPosting {
  applied: bigint
  payable: bigint
  commission: bigint
  claimsAccountId: string
  payableAccountId: string
  commissionAccountId: string
  restored: bigint
}

export async function agencyPostingOf (db: Handle, paymentId: string): Promise<PaymentAgencyPosting | null> {
  const { rows } = await sql<{ entry_kind: EntryKind, kind: AccountKind, account_id: string, amount: string }>`
    select e.kind as entry_kind, a.kind, l.account_id, sum(l.amount)::bigint as amount
      from ledger_entries e
      join ledger_lines l on l.entry_id = e.id
      join ledger_accounts a on a.id = l.account_id
     where e.payment_id = ${paymentId} and a.kind in ('receivable', 'claims', 'creditor_payable', 'commission')
     group by e.kind, a.kind, l.account_id`.execute(db)
  const received = rows.filter((r) => r.entry_kind === 'payment_received')
  const line = (kind: AccountKind) => received.find((r) => r.kind === kind)
  const payable = line('creditor_payable')
  const claims = line('claims')
  if (payable === undefined || claims === undefined) return null
  const commission = line('commission')
  return {
    applied: BigInt(claims.amount),
    payable: -BigInt(payable.amount),
    commission: commission === undefined ? 0n : -BigInt(commission.amount),
    claimsAccountId: claims.account_id,
    payableAccountId: payable.account_id,
    commissionAccountId: commission?.account_id ?? (await commissionAccount(db)),
    restored: rows.filter((r) => r.entry_kind !== 'payment_received' && r.kind === 'receivable')
      .reduce((sum, r) => sum + BigInt(r.amount), 0n)
  }
}

/** The agency's commission account (migration 0036). */
export async function commissionAccount (db: Handle): Promise<string> {
  const row = await db.selectFrom('ledger_accounts').select('id').where('key', '=', 'commission')
    .executeTakeFirstOrThrow()
  return row.id
}

/** A creditor's claims account (migration 0033): by its id, so a rename renames nothing in the books. */
export function claimsKey (creditorId: string): string {
  return `claims:${toPublicId('creditor', creditorId)}`
}

/** The claims accounts of these creditors (ids), opened when missing; by creditor id. */
export async function ensureClaimsAccounts (db: Handle, creditorIds: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(creditorIds)]
  if (unique.length === 0) return new Map()
  const known = async (): Promise<Map<string, string>> => {
    const rows = await db.selectFrom('ledger_accounts').select(['id', 'creditor_id'])
      .where('key', 'in', unique.map(claimsKey)).execute()
    return new Map(rows.map((r) => [r.creditor_id as string, r.id]))
  }
  const found = await known()
  const missing = unique.filter((creditor) => !found.has(creditor))
  if (missing.length === 0) return found
  // only what is missing: an insert meeting an existing account another
  // transaction is posting on would wait for that transaction to end
  await db.insertInto('ledger_accounts')
    .values(missing.map((id) => ({ key: claimsKey(id), kind: 'claims' as const, creditor_id: id })))
    .onConflict((oc) => oc.column('key').doNothing()).execute()
  return await known()
}

export async function insertReceivables (
  db: Handle, debts: Array<{ debtId: string, key: string }>
): Promise<Map<string, string>> {
  if (debts.length === 0) return new Map()
  const rows = await db.insertInto('ledger_accounts')
    .values(debts.map((d) => ({ key: d.key, kind: 'receivable' as const, debt_id: d.debtId })))
    .returning(['id', 'debt_id']).execute()
  return new Map(rows.map((r) => [r.debt_id as string, r.id]))
}

/** Locks these creditors' (ids) claims accounts in id order (the order of every lock on accounts). */
export async function lockClaimsAccounts (db: Handle, creditors: string[]): Promise<void> {
  if (creditors.length === 0) return
  await db.selectFrom('ledger_accounts').select('id').where('key', 'in', [...new Set(creditors)].map(claimsKey))
    .orderBy('id').forNoKeyUpdate().execute()
}

/** `receivableKey` of the service, in SQL over a debt id expression. */
function receivableKeySql (debtId: RawBuilder<unknown>): RawBuilder<string> {
  return sql<string>`'receivable:debt_' || replace(${debtId}::text, '-', '')`
}

/**
 * claim_assigned for a whole set of new debts in one statement: `source` is
 * a statement (or query) yielding `debt_id, creditor_id, amount`, for instance
 * the insert of the debts themselves. Each debt gets its receivable; each
 * positive claim an entry with receivable +amount and claims:cred_<creditor id>
 * -amount, whose lines the database books as any other (the lines trigger
 * moves the balances, the entries trigger proves every entry balanced when the statement ends). The
 * creditors' claims accounts must exist. Returns the number of debts.
 */
export async function insertClaimAssignments (
  db: Handle, source: RawBuilder<unknown>, reference: { type: ReferenceType, id: string }
): Promise<number> {
  // Ids are drawn up front, so no step joins another step's output: a
  // join between statement results is planned on guesses (the insert's
  // estimate can be one row) and a nested loop over two 50,000-row results
  // never ends.
  const result = await sql<{ debts: number }>`
    with src as (${source}),
    booked as materialized (
      select debt_id, creditor_id, amount, uuid_generate_v7() as receivable_id, uuid_generate_v7() as entry_id from src),
    receivables as (
      insert into ledger_accounts (id, key, kind, debt_id)
      select receivable_id, ${receivableKeySql(sql.ref('booked.debt_id'))}, 'receivable', debt_id from booked),
    entries as (
      insert into ledger_entries (id, kind, debt_id, reference_type, reference_id)
      select entry_id, 'claim_assigned', debt_id, ${reference.type}, ${reference.id}::uuid from booked where amount > 0),
    lines as (
      insert into ledger_lines (entry_id, account_id, amount)
      select entry_id, receivable_id, amount from booked where amount > 0
      union all
      select b.entry_id, c.id, -b.amount from booked b join ledger_accounts c
        on c.key = 'claims:cred_' || replace(b.creditor_id::text, '-', '') where b.amount > 0)
    select count(*)::int as debts from booked`.execute(db)
  return result.rows[0]?.debts ?? 0
}

/** Locks a debt's receivable: every posting on one debt takes its turn here, and reads the balance fresh. */
export async function lockReceivable (
  db: Handle, debtId: string
): Promise<{ id: string, balance: bigint } | undefined> {
  return await db.selectFrom('ledger_accounts').select(['id', 'balance'])
    .where('kind', '=', 'receivable').where('debt_id', '=', debtId)
    .forNoKeyUpdate().executeTakeFirst()
}

export async function ensureOverpaidAccount (
  db: Handle, debtId: string, paymentId: string, key: string
): Promise<string> {
  await db.insertInto('ledger_accounts').values({ key, kind: 'overpaid', debt_id: debtId, payment_id: paymentId })
    .onConflict((oc) => oc.column('key').doNothing()).execute()
  const row = await db.selectFrom('ledger_accounts').select('id').where('key', '=', key).executeTakeFirstOrThrow()
  return row.id
}

export interface PaymentPosition {
  paymentId: string
  /** Received net of what went back to the payer (the clearing side of its entries). */
  net: bigint
  /** What its overpaid account holds (>= 0, i.e. minus the credit balance). */
  overpaid: bigint
  overpaidAccountId: string | null
  receivedAt: Date
}

/** The money side of a debt, payment by payment, oldest first. */
export async function paymentPositions (db: Handle, debtId: string): Promise<PaymentPosition[]> {
  const nets = await sql<{ payment_id: string, net: string, received_at: Date }>`
    select e.payment_id, sum(l.amount)::bigint as net, min(e.created_at) as received_at
      from ledger_entries e
      join ledger_lines l on l.entry_id = e.id
      join ledger_accounts a on a.id = l.account_id and a.kind = 'clearing'
     where e.debt_id = ${debtId} and e.payment_id is not null
     group by e.payment_id`.execute(db)
  const accounts = await db.selectFrom('ledger_accounts').select(['id', 'payment_id', 'balance'])
    .where('kind', '=', 'overpaid').where('debt_id', '=', debtId).execute()
  const byPayment = new Map(accounts.map((a) => [a.payment_id as string, a]))
  return nets.rows.map((r) => {
    const account = byPayment.get(r.payment_id)
    return {
      paymentId: r.payment_id,
      net: BigInt(r.net),
      overpaid: account === undefined ? 0n : -account.balance,
      overpaidAccountId: account?.id ?? null,
      receivedAt: r.received_at
    }
  }).sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime() || (a.paymentId < b.paymentId ? -1 : 1))
}

/** The claim per the ledger: minus the claims side of the debt's entries. */
export async function claimsOf (db: Handle, debtIds: string[]): Promise<Map<string, bigint>> {
  if (debtIds.length === 0) return new Map()
  const rows = await sql<{ debt_id: string, claim: string }>`
    select e.debt_id, -sum(l.amount)::bigint as claim
      from ledger_entries e
      join ledger_lines l on l.entry_id = e.id
      join ledger_accounts a on a.id = l.account_id and a.kind = 'claims'
     where e.debt_id in (${sql.join(debtIds)}) and ${CLAIM_LINE}
     group by e.debt_id`.execute(db)
  return new Map(rows.rows.map((r) => [r.debt_id, BigInt(r.claim)]))
}

/** Entries and their lines in one statement: the database checks each entry balanced when the statement ends. */
export async function insertEntries (db: Handle, entries: EntryRow[], lines: LineRow[]): Promise<void> {
  if (entries.length === 0) return
  await db.with('entries', (qb) => qb.insertInto('ledger_entries').values(entries).returning('id'))
    .insertInto('ledger_lines').values(lines).execute()
}

// --- reading ---------------------------------------------------------------

export interface DebtEntryRow {
  id: string
  kind: EntryKind
  reference_type: ReferenceType
  reference_id: string
  created_at: Date
  amount: bigint
}

export async function debtEntries (db: Handle, debtId: string): Promise<DebtEntryRow[]> {
  const rows = await sql<Omit<DebtEntryRow, 'amount'> & { amount: string }>`
    select e.id, e.kind, e.reference_type, e.reference_id, e.created_at, coalesce(l.amount, 0) as amount
      from ledger_entries e
      left join ledger_accounts r on r.kind = 'receivable' and r.debt_id = e.debt_id
      left join ledger_lines l on l.entry_id = e.id and l.account_id = r.id
     where e.debt_id = ${debtId}
     order by e.created_at, e.id`.execute(db)
  return rows.rows.map((r) => ({ ...r, amount: BigInt(r.amount) }))
}

export async function debtTotals (
  db: Handle, debtId: string
): Promise<{ claim: bigint, collected: bigint, outstanding: bigint } | undefined> {
  const rows = await sql<{ kind: AccountKind, total: string }>`
    select a.kind, sum(l.amount)::bigint as total
      from ledger_entries e
      join ledger_lines l on l.entry_id = e.id
      join ledger_accounts a on a.id = l.account_id
     where e.debt_id = ${debtId} and ${claimOrMoney}
     group by a.kind`.execute(db)
  const outstanding = (await receivableBalances(db, [debtId])).get(debtId)
  if (outstanding === undefined) return undefined
  const total = (kind: AccountKind): bigint => BigInt(rows.rows.find((r) => r.kind === kind)?.total ?? 0)
  return { claim: -total('claims'), collected: total('clearing'), outstanding }
}

export async function balancesByKind (
  db: Handle
): Promise<Array<{ kind: AccountKind, count: number, balance: bigint }>> {
  const rows = await sql<{ kind: AccountKind, count: number, balance: string }>`
    select kind, count(*)::int as count, coalesce(sum(balance), 0)::bigint as balance from ledger_accounts group by kind order by kind`.execute(db)
  return rows.rows.map((r) => ({ kind: r.kind, count: r.count, balance: BigInt(r.balance) }))
}

/**
 * Accounts whose materialised balance differs from the sum of their lines, and entries whose lines do not sum to zero.
 */
export async function inconsistencies (db: Handle): Promise<{ accounts: number, entries: number }> {
  const accounts = await sql<{ n: number }>`
    select count(*)::int as n
      from ledger_accounts a
      left join (select account_id, sum(amount) as total from ledger_lines group by account_id) s on s.account_id = a.id
     where a.balance <> coalesce(s.total, 0)`.execute(db)
  const entries = await sql<{ n: number }>`
    select count(*)::int as n from (select e.id from ledger_entries e left join ledger_lines l on l.entry_id = e.id
     group by e.id having count(l.entry_id) < 2 or coalesce(sum(l.amount), 0) <> 0) x`.execute(db)
  return { accounts: accounts.rows[0]?.n ?? 0, entries: entries.rows[0]?.n ?? 0 }
}
