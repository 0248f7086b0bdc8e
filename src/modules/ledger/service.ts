// The ledger: the only code that moves a balance (docs/ledger.md). Every
// change is a journal entry whose lines sum to zero; callers lock the debt
// (and the payment, payment first) before they post, and the ledger locks
// the debt's receivable account, so postings on one debt take turns and
// read their balances fresh.
//
// Sign convention: debit-positive. receivable (what the debtor owes) and
// clearing (what a channel holds for us: clearing:card, clearing:kaspi) are debit-normal, >= 0; claims
// (the creditors' side of assigned claims) and overpaid (what a payer sent
// beyond the claim: owed back) are credit-normal, overpaid <= 0. bank (the
// agency's own account: what the channels paid out) and fees (fees:card,
// fees:kaspi: what they kept, an expense) are debit-normal (migration 0034). creditor_payable:<creditor> (what
// the agency owes an agency-agreement creditor) and commission (the agency's revenue on it) are credit-normal
// (migration 0036).
//
// Invariant per debt, kept by every posting: outstanding = max(0, claim -
// net collected) and overpaid held = max(0, net collected - claim). Money
// beyond the claim is always counted as the latest money received: a
// surplus lands on the latest payments, and when the debt can absorb it
// again (a higher claim, a refund of another payment) the oldest surplus
// is absorbed first.
import { CURRENCY } from '../../lib/money.js'
import { DomainError } from '../../lib/errors.js'
import type { Expression, RawBuilder } from 'kysely'
import type { Database, Trx } from '../../db/database.js'
import { toPublicId, uuidv7 } from '../../lib/ids.js'
import {
  agencyPostingOf, agencyPostingOfDebt, balancesByKind, clearingAccount, claimsOf, commissionAccount, debtEntries,
  debtTotals, ensureClaimsAccounts, ensureOverpaidAccount, ensurePayableAccount, inconsistencies,
  insertClaimAssignments,
  insertEntries, insertReceivables, lockClaimsAccounts, lockPayableAccount, lockReceivable, lockSharedAccount,
  payableBalances, paymentPositions, receivableBalance, receivableBalances, type EntryRow, type LineRow,
  type PaymentPosition
} from './repository.js'
import type { AccountKind, EntryKind, ReferenceType } from './tables.js'
import type { DebtLedger, TrialBalance } from './schemas.js'

export interface Reference { type: ReferenceType, id: string }

export class LedgerError extends Error {}

interface Posting {
  kind: EntryKind
  /** Null only for a settlement: a payout spans many debts. */
  debtId: string | null
  paymentId?: string | null
  reference: Reference
  lines: Array<{ accountId: string, amount: bigint }>
}

function receivableKey (debtId: string): string { return `receivable:${toPublicId('debt', debtId)}` }
function overpaidKey (paymentId: string): string { return `overpaid:${toPublicId('payment', paymentId)}` }

async function post (trx: Trx, postings: Posting[], firstId?: string): Promise<void> {
  const entries: EntryRow[] = []
  const lines: LineRow[] = []
  for (const posting of postings) {
    const merged = new Map<string, bigint>()
    for (const line of posting.lines) merged.set(line.accountId, (merged.get(line.accountId) ?? 0n) + line.amount)
    const kept = [...merged].filter(([, amount]) => amount !== 0n)
    if (kept.length === 0) continue
    const total = kept.reduce((sum, [, amount]) => sum + amount, 0n)
    if (kept.length < 2 || total !== 0n) throw new LedgerError(`unbalanced ${posting.kind} entry: ${kept.length} line(s) summing to ${total}`)
    const id = entries.length === 0 && firstId !== undefined ? firstId : uuidv7()
    entries.push({
      id,
      kind: posting.kind,
      debt_id: posting.debtId,
      payment_id: posting.paymentId ?? null,
      reference_type: posting.reference.type,
      reference_id: posting.reference.id
    })
    for (const [accountId, amount] of kept) lines.push({ entry_id: id, account_id: accountId, amount })
  }
  await insertEntries(trx, entries, lines)
}

async function receivableOf (trx: Trx, debtId: string): Promise<{ id: string, balance: bigint }> {
  const account = await lockReceivable(trx, debtId)
  if (account === undefined) throw new LedgerError(`debt ${debtId} has no receivable account`)
  return account
}

/** Spreads `amount` over positions (in the given order), each up to its room. */
function spread (
  positions: PaymentPosition[], amount: bigint, room: (p: PaymentPosition) => bigint
): Array<{ position: PaymentPosition, amount: bigint }> {
  const parts: Array<{ position: PaymentPosition, amount: bigint }> = []
  let left = amount
  for (const position of positions) {
    if (left === 0n) break
    const available = room(position)
    const take = available < left ? available : left
    if (take > 0n) {
      parts.push({ position, amount: take })
      left -= take
    }
  }
  if (left !== 0n) throw new LedgerError(`cannot place ${amount} on the debt's payments`)
  return parts
}

async function overpaidAccountOf (trx: Trx, debtId: string, position: PaymentPosition): Promise<string> {
  return position.overpaidAccountId ??
    await ensureOverpaidAccount(trx, debtId, position.paymentId, overpaidKey(position.paymentId))
}

// --- reading outstanding (for the debts module) ------------------------------

/** The outstanding amount of a debt, as an SQL expression over its id. */
export function outstandingSql (debtId: Expression<string>): RawBuilder<bigint> {
  return receivableBalance(debtId)
}

export async function outstandingOf (db: Database | Trx, debtIds: string[]): Promise<Map<string, bigint>> {
  return await receivableBalances(db, debtIds)
}

// A creditor's payable account's key (`creditor_payable:cred_<hex>`), for the statements.
export { payableKey } from './repository.js'

// Claim and net collected of each debt (the debt's partner view and debt.closed event show them).
export { amountsOfDebts, type DebtAmounts } from './repository.js'

// --- claims ------------------------------------------------------------------

/** `creditorId`: the creditor's id (uuid); its claims account is `claims:cred_<hex>`. */
export interface ClaimAssignment { debtId: string, creditorId: string, amount: bigint, reference: Reference }

/** New debts: a receivable account each, and claim_assigned for the claim. Set-based, for whole import batches. */
export async function assignClaims (trx: Trx, claims: ClaimAssignment[]): Promise<void> {
  if (claims.length === 0) return
  const receivables = await insertReceivables(trx, claims.map((c) => ({
    debtId: c.debtId,
    key: receivableKey(c.debtId)
  })))
  const creditors = await ensureClaimsAccounts(trx, claims.map((c) => c.creditorId))
  await post(trx, claims.map((c) => ({
    kind: 'claim_assigned' as const,
    debtId: c.debtId,
    reference: c.reference,
    lines: [
      { accountId: receivables.get(c.debtId) as string, amount: c.amount },
      { accountId: creditors.get(c.creditorId) as string, amount: -c.amount }
    ]
  })))
}

/**
 * The set-based form of assignClaims, for a portfolio import's batch: the
 * new debts come from `source`, an SQL statement yielding `debt_id,
 * creditor_id, amount` (the debts' own insert), and every one gets its
 * receivable and claim_assigned in the same statement. Returns how many.
 */
export async function assignClaimsFrom (
  trx: Trx, input: { source: RawBuilder<unknown>, creditors: string[], reference: Reference }
): Promise<number> {
  await ensureClaimsAccounts(trx, input.creditors)
  return await insertClaimAssignments(trx, input.source, input.reference)
}

/**
 * The creditors' claims accounts, opened ahead in a transaction of their
 * own: batches of an import running side by side then never wait for
 * each other's uncommitted new account.
 */
export async function openClaimsAccounts (db: Database, creditors: string[]): Promise<void> {
  await ensureClaimsAccounts(db, creditors)
}

/**
 * Takes the creditors' claims accounts before a transaction posts on them
 * in several statements: each posting locks its own accounts in id order,
 * and two transactions that each held one creditor's account and then
 * needed the other's would deadlock.
 */
export async function holdClaimsAccounts (trx: Trx, creditors: string[]): Promise<void> {
  await lockClaimsAccounts(trx, creditors)
}

export interface ClaimChange {
  /** New claim minus the claim the ledger held. */
  difference: bigint
  outstanding: bigint
  /** Payments whose surplus grew: the claim fell below what was collected. */
  overpaidPayments: string[]
}

/**
 * The claim of a debt becomes `claim` (a re-import stating another amount,
 * or a recall undone): claim_adjusted for the difference. What the debt
 * cannot hold below zero moves to overpaid; a higher claim first absorbs
 * surplus held on the debt's payments. Null when the claim already is that.
 */
export async function restateClaim (
  trx: Trx, input: { debtId: string, creditorId: string, claim: bigint, reference: Reference }
): Promise<ClaimChange | null> {
  const receivable = await receivableOf(trx, input.debtId)
  const current = (await claimsOf(trx, [input.debtId])).get(input.debtId) ?? 0n
  const difference = input.claim - current
  if (difference === 0n) return null
  const positions = await paymentPositions(trx, input.debtId)
  const held = positions.reduce((sum, p) => sum + p.overpaid, 0n)
  // receivable minus overpaid moves by the difference; never both positive
  const net = receivable.balance - held + difference
  const outstanding = net > 0n ? net : 0n
  const heldAfter = net < 0n ? -net : 0n
  const creditors = await ensureClaimsAccounts(trx, [input.creditorId])
  const lines = [
    { accountId: receivable.id, amount: outstanding - receivable.balance },
    { accountId: creditors.get(input.creditorId) as string, amount: -difference }
  ]
  const overpaidPayments: string[] = []
  if (heldAfter > held) {
    for (const part of spread([...positions].reverse(), heldAfter - held, (p) => p.net - p.overpaid)) {
      lines.push({ accountId: await overpaidAccountOf(trx, input.debtId, part.position), amount: -part.amount })
      overpaidPayments.push(part.position.paymentId)
    }
  } else if (heldAfter < held) {
    for (const part of spread(positions, held - heldAfter, (p) => p.overpaid)) {
      lines.push({ accountId: part.position.overpaidAccountId as string, amount: part.amount })
    }
  }
  await post(trx, [{ kind: 'claim_adjusted', debtId: input.debtId, reference: input.reference, lines }])
  return { difference, outstanding, overpaidPayments }
}

/** The creditor takes the claim back: claim_recalled for what is outstanding. Returns the amount recalled. */
export async function recallClaim (
  trx: Trx, input: { debtId: string, creditorId: string, reference: Reference }
): Promise<bigint> {
  const receivable = await receivableOf(trx, input.debtId)
  if (receivable.balance === 0n) return 0n
  const creditors = await ensureClaimsAccounts(trx, [input.creditorId])
  await post(trx, [{
    kind: 'claim_recalled',
    debtId: input.debtId,
    reference: input.reference,
    lines: [
      { accountId: receivable.id, amount: -receivable.balance },
      { accountId: creditors.get(input.creditorId) as string, amount: receivable.balance }
    ]
  }])
  return receivable.balance
}

// --- money -------------------------------------------------------------------

/** The creditor's agreement when it is `agency` (DESIGN 18): what a payment received owes it, less commission. */
export interface AgencyTerms { creditorId: string, commissionBps: number }

/** `numerator / denominator` rounded half up (both >= 0, denominator > 0): 0.5 tiyn goes to the larger side. */
function roundHalfUp (numerator: bigint, denominator: bigint): bigint {
  return (2n * numerator + denominator) / (2n * denominator)
}

/** The agency's commission on an applied amount: round half up of applied × bps / 10000, to the tiyn. */
export function commissionOn (applied: bigint, commissionBps: number): bigint {
  return roundHalfUp(applied * BigInt(commissionBps), 10000n)
}

/**
 * The channel confirmed a payment: clearing:<channel> +amount, receivable -applied, overpaid -excess. Under an
 * agency agreement (`agency`, the creditor's agreement now) the same entry also moves the applied part from the
 * creditor's claims account to what is owed: claims +applied, creditor_payable -(applied - commission), commission
 * -commission (commissionOn). The excess is the payer's money and owes the creditor nothing.
 */
export async function receivePayment (
  trx: Trx, input: {
    debtId: string, paymentId: string, amount: bigint, channel: 'card' | 'kaspi', agency?: AgencyTerms | null
  }
): Promise<{ applied: bigint, excess: bigint, outstanding: bigint }> {
  if (input.amount <= 0n) throw new LedgerError('a payment amount is positive')
  const receivable = await receivableOf(trx, input.debtId)
  const applied = input.amount < receivable.balance ? input.amount : receivable.balance
  const excess = input.amount - applied
  const lines = [
    { accountId: await clearingAccount(trx, input.channel), amount: input.amount },
    { accountId: receivable.id, amount: -applied }
  ]
  if (excess > 0n) {
    lines.push({
      accountId: await ensureOverpaidAccount(trx, input.debtId, input.paymentId, overpaidKey(input.paymentId)),
      amount: -excess
    })
  }
  if (input.agency !== undefined && input.agency !== null && applied > 0n) {
    const commission = commissionOn(applied, input.agency.commissionBps)
    const claims = await ensureClaimsAccounts(trx, [input.agency.creditorId])
    lines.push(
      { accountId: claims.get(input.agency.creditorId) as string, amount: applied },
      { accountId: await ensurePayableAccount(trx, input.agency.creditorId), amount: -(applied - commission) },
      { accountId: await commissionAccount(trx), amount: -commission }
    )
  }
  await post(trx, [{ kind: 'payment_received', debtId: input.debtId, paymentId: input.paymentId, reference: { type: 'payment', id: input.paymentId }, lines }])
  return { applied, excess, outstanding: receivable.balance - applied }
}

/**
 * The channel confirmed a refund or a return: clearing:<channel> -amount; the payment's
 * own overpaid first, then surplus the debt holds on other payments (oldest
 * first), and only the rest raises the receivable.
 */
export async function payBack (trx: Trx, input: {
  kind: 'refund_paid' | 'payment_returned', debtId: string, paymentId: string, refundId: string, amount: bigint,
  channel: 'card' | 'kaspi'
}): Promise<{ fromOverpaid: bigint, raised: bigint, outstanding: bigint }> {
  if (input.amount <= 0n) throw new LedgerError('a refund amount is positive')
  const receivable = await receivableOf(trx, input.debtId)
  const positions = await paymentPositions(trx, input.debtId)
  const own = positions.find((p) => p.paymentId === input.paymentId)
  if (own === undefined || own.net < input.amount) throw new LedgerError('a refund never exceeds what its payment brought in')
  const first = own.overpaid < input.amount ? own.overpaid : input.amount
  const lines = [{ accountId: await clearingAccount(trx, input.channel), amount: -input.amount }]
  if (first > 0n) lines.push({ accountId: own.overpaidAccountId as string, amount: first })
  const rest = input.amount - first
  const others = positions.filter((p) => p.paymentId !== input.paymentId)
  const othersHeld = others.reduce((sum, p) => sum + p.overpaid, 0n)
  const absorbed = othersHeld < rest ? othersHeld : rest
  for (const part of spread(others, absorbed, (p) => p.overpaid)) {
    lines.push({ accountId: part.position.overpaidAccountId as string, amount: part.amount })
  }
  const raised = rest - absorbed
  lines.push({ accountId: receivable.id, amount: raised })
  const claim = (await claimsOf(trx, [input.debtId])).get(input.debtId) ?? 0n
  const collectedAfter = claim - (receivable.balance + raised)
  lines.push(...await agencyReversal(trx, { debtId: input.debtId, paymentId: input.paymentId, raised, collectedAfter }))
  await post(trx, [{ kind: input.kind, debtId: input.debtId, paymentId: input.paymentId, reference: { type: 'refund', id: input.refundId }, lines }])
  return { fromOverpaid: first + absorbed, raised, outstanding: receivable.balance + raised }
}

/**
 * The lines that reverse agency postings for a refund or return restoring `raised` of a debt's receivable (DESIGN 18):
 * claims -reversed, creditor_payable +(reversed - commission part), commission +commission part.
 *
 * First the refunded payment's own posting, in proportion to what it posted, on its cumulative restored amount
 * (capped at its applied amount). Then the debt as a whole: what stays owed to the creditor never exceeds what the
 * debt keeps collected. Money moves between a debt's payments (a refund takes another payment's surplus first, a
 * payment made twice applies nothing), so the payment refunded last may have posted nothing while its debt's other
 * payment, refunded before out of that surplus, reversed nothing: the rest is reversed here. The commission part is
 * the debt's posted commission in proportion, rounded on the debt's cumulative reversal, so a debt reversed in full,
 * in any number of parts, reverses exactly what was posted, to the tiyn. None when nothing was posted to a creditor.
 */
async function agencyReversal (
  trx: Trx, input: { debtId: string, paymentId: string, raised: bigint, collectedAfter: bigint }
): Promise<Array<{ accountId: string, amount: bigint }>> {
  const debt = await agencyPostingOfDebt(trx, input.debtId)
  if (debt === null || debt.applied <= 0n) return []
  const unreversed = debt.applied - debt.reversed
  const min = (a: bigint, b: bigint): bigint => a < b ? a : b
  let own = 0n
  const posted = input.raised > 0n ? await agencyPostingOf(trx, input.paymentId) : null
  if (posted !== null && posted.applied > 0n) {
    own = min(posted.restored + input.raised, posted.applied) - min(posted.restored, posted.applied)
  }
  own = min(own, unreversed)
  const kept = input.collectedAfter > 0n ? input.collectedAfter : 0n
  const excess = unreversed - own - kept
  const reversed = own + (excess > 0n ? excess : 0n)
  if (reversed <= 0n) return []
  const after = debt.reversed + reversed
  const commission = roundHalfUp(debt.commission * after, debt.applied) - debt.commissionReversed
  return [
    { accountId: debt.claimsAccountId, amount: -reversed },
    { accountId: debt.payableAccountId, amount: reversed - commission },
    { accountId: debt.commissionAccountId, amount: commission }
  ]
}

// --- remittance ----------------------------------------------------------------

/**
 * The agency paid a creditor what it owes (DESIGN 18): one `remittance` entry, bank -amount, creditor_payable
 * +amount. The creditor's payable account is locked first and must owe at least the amount (422
 * `remittance_exceeds_payable`; a creditor never owed anything has no account); two remittances racing take turns
 * there and the second reads what the first left. Returns the entry's id.
 */
export async function remit (
  trx: Trx, input: { creditorId: string, amount: bigint, remittanceId: string }
): Promise<string> {
  if (input.amount <= 0n) throw new LedgerError('a remittance amount is positive')
  const payable = await lockPayableAccount(trx, input.creditorId)
  const owed = payable === undefined ? 0n : -payable.balance
  if (payable === undefined || owed < input.amount) {
    throw new DomainError('remittance_exceeds_payable', `The remittance (${input.amount} tiyn) is more than the ` +
      `agency owes this creditor (${owed > 0n ? owed : 0n} tiyn); nothing was booked`,
    { facts: { payable: Number(owed > 0n ? owed : 0n) } })
  }
  const id = uuidv7()
  await post(trx, [{
    kind: 'remittance',
    debtId: null,
    reference: { type: 'remittance', id: input.remittanceId },
    lines: [
      { accountId: (await lockSharedAccount(trx, 'bank')).id, amount: -input.amount },
      { accountId: payable.id, amount: input.amount }
    ]
  }], id)
  return id
}

/** What the agency owes each of these creditors now (tiyn, >= 0 normally; 0 for one never owed anything). */
export async function payableOf (db: Database | Trx, creditorIds: string[]): Promise<Map<string, bigint>> {
  const balances = await payableBalances(db, creditorIds)
  return new Map(creditorIds.map((id) => [id, -(balances.get(id) ?? 0n)]))
}

// --- settlement ----------------------------------------------------------------

/**
 * A channel paid out a payout (DESIGN 18): one `settlement` entry, clearing:<channel> -gross, bank +net,
 * fees:<channel> +fee, with net = gross - fee exactly. The channel's clearing account is locked first and must hold
 * the gross: a payout of payments refunded before it pays out more than the channel still holds for us, and is
 * refused (409 `settlement_exceeds_clearing`) rather than leaving clearing below zero. Nothing is posted for a gross
 * of 0. Returns the entry's id, or null.
 */
export async function settlePayout (
  trx: Trx, input: { channel: 'card' | 'kaspi', gross: bigint, fee: bigint, settlementId: string }
): Promise<string | null> {
  if (input.gross < 0n || input.fee < 0n || input.fee > input.gross) {
    throw new LedgerError('a payout has 0 <= fee <= gross')
  }
  if (input.gross === 0n) return null
  const clearing = await lockSharedAccount(trx, `clearing:${input.channel}`)
  if (clearing.balance < input.gross) {
    throw new DomainError('settlement_exceeds_clearing', `The payout's matched gross (${input.gross} tiyn) is more ` +
      `than clearing:${input.channel} holds (${clearing.balance} tiyn): payments in it were refunded or returned ` +
      'since; nothing was booked')
  }
  const id = uuidv7()
  await post(trx, [{
    kind: 'settlement',
    debtId: null,
    reference: { type: 'settlement', id: input.settlementId },
    lines: [
      { accountId: clearing.id, amount: -input.gross },
      { accountId: (await lockSharedAccount(trx, 'bank')).id, amount: input.gross - input.fee },
      { accountId: (await lockSharedAccount(trx, `fees:${input.channel}`)).id, amount: input.fee }
    ]
  }], id)
  return id
}

// --- reading -----------------------------------------------------------------

const REFERENCE_KINDS = {
  debt: 'debt', import: 'debtImport', payment: 'payment', refund: 'refund', settlement: 'settlement',
  remittance: 'remittance'
} as const

export async function debtLedger (db: Database, debtId: string): Promise<DebtLedger | undefined> {
  const totals = await debtTotals(db, debtId)
  if (totals === undefined) return undefined
  const entries = await debtEntries(db, debtId)
  return {
    debtId: toPublicId('debt', debtId),
    claimAmount: Number(totals.claim),
    collectedAmount: Number(totals.collected),
    outstanding: Number(totals.outstanding),
    entries: entries.map((e) => ({
      id: toPublicId('ledgerEntry', e.id),
      kind: e.kind,
      amount: Number(e.amount),
      createdAt: e.created_at.toISOString(),
      reference: { type: e.reference_type, id: toPublicId(REFERENCE_KINDS[e.reference_type], e.reference_id) }
    }))
  }
}

const ACCOUNT_KINDS: AccountKind[] = [
  'bank', 'claims', 'clearing', 'commission', 'creditor_payable', 'fees', 'overpaid', 'receivable'
]

export async function trialBalance (db: Database): Promise<TrialBalance> {
  const checkedAt = new Date()
  const kinds = await balancesByKind(db)
  const problems = await inconsistencies(db)
  const total = kinds.reduce((sum, k) => sum + k.balance, 0n)
  return {
    currency: CURRENCY,
    accounts: ACCOUNT_KINDS.map((kind) => {
      const row = kinds.find((k) => k.kind === kind)
      return { kind, count: row?.count ?? 0, balance: Number(row?.balance ?? 0n) }
    }),
    total: Number(total),
    consistent: total === 0n && problems.accounts === 0 && problems.entries === 0,
    checkedAt: checkedAt.toISOString()
  }
}

/** The daily check: an error-level log (an alert) on any difference. */
export async function verifyTrialBalance (
  db: Database, log: { error: (obj: object, msg: string) => void, info: (obj: object, msg: string) => void }
): Promise<TrialBalance> {
  const balance = await trialBalance(db)
  if (balance.consistent) log.info({ total: balance.total }, 'ledger trial balance ties out')
  else log.error({ ledger: balance }, 'ledger trial balance does not tie out')
  return balance
}
