import { moneyOf } from '../../lib/money.js'
import type { Database } from '../../db/database.js'
import type { PiiCipher } from '../../lib/crypto.js'
import { validateIin } from '../../lib/iin.js'
import { fromPublicId, toPublicId } from '../../lib/ids.js'
import { maskName, normalizeContractNumber } from '../../lib/names.js'
import { DomainError } from '../../lib/errors.js'
import { recallClaim, restateClaim } from '../ledger/service.js'
import type { ClaimPayments } from './claim-payments.js'
import { statusFor } from './status.js'
import { publishDebtClosed } from './events.js'
import { recordAudit, type Actor } from '../audit/service.js'
import { iinIndex, lookupContractKey } from '../../lib/blind-index.js'
import {
  debtIdsOfContract as debtIdsOfNormalizedContract, findDebt, findLookupTarget, listDebts, purgeLookupFailures,
  recordLookupFailure, setDebtStatus, type LookupTarget
} from './repository.js'
import type { Debt, DebtLookup, LookupInput } from './schemas.js'
import type { DebtRow } from './tables.js'
import { EMPTY_PAGE, toPage } from '../../lib/page.js'

interface Deps { db: Database, pii: PiiCipher }
export interface LookupThrottle { failuresPerContract: number, seconds: number }

function maskIin (iin: string): string {
  return `${iin.slice(0, 4)}******${iin.slice(-2)}`
}

export function toDebt (pii: PiiCipher, row: DebtRow): Debt {
  return {
    id: toPublicId('debt', row.id),
    paymentCode: row.payment_code,
    contractNumber: row.contract_number,
    creditor: row.creditor,
    creditorId: toPublicId('creditor', row.creditor_id),
    debtorName: pii.decrypt(row.debtor_name_encrypted),
    debtorIinMasked: maskIin(pii.decrypt(row.debtor_iin_encrypted)),
    outstanding: moneyOf(row.outstanding),
    claimAmount: moneyOf(row.claim_amount),
    status: row.status,
    importId: row.import_id === null ? null : toPublicId('debtImport', row.import_id),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString()
  }
}

/**
 * offer cl. 3: the client identifies the debt by contract number and IIN.
 * Every kind of miss (unknown contract, another person's IIN, a debt no
 * longer payable) gives the same answer, so the endpoint tells an
 * enumerator nothing.
 *
 * Enumeration of IINs for a known contract costs time, whatever addresses
 * the guesser uses: `failuresPerContract` misses within `seconds` lock the
 * contract for `seconds`, and a locked contract answers the same 404 even to
 * the right IIN. A hit does not reset the count: only time does, so a
 * debtor's own lookups never buy a guesser more tries. A locked lookup runs
 * the same statements as any miss.
 */
export async function lookupDebt (deps: Deps, throttle: LookupThrottle, input: LookupInput): Promise<DebtLookup> {
  const iin = validateIin(input.iin.trim())
  if (!iin.ok) throw new DomainError('invalid_iin', 'The IIN is not valid: 12 digits with a correct check digit', { errors: [{ path: 'body.iin', message: `invalid (${iin.reason})` }] })
  const contractNumber = normalizeContractNumber(input.contractNumber)
  const contractKey = lookupContractKey(deps.pii, contractNumber)
  const { locked, debt: row } = await findLookupTarget(
    deps.db, contractKey, contractNumber, iinIndex(deps.pii, iin.iin)
  )
  if (locked || row === null || row.status !== 'active') {
    await recordLookupFailure(deps.db, contractKey, throttle.failuresPerContract, throttle.seconds)
    throw debtNotFound()
  }
  return toDebtLookup(deps.pii, row)
}

/** What the payer is shown of a payable debt: the lookup's answer (a payment link's too). */
function toDebtLookup (pii: PiiCipher, row: NonNullable<LookupTarget['debt']>): DebtLookup {
  return {
    debtId: toPublicId('debt', row.id),
    paymentCode: row.payment_code,
    contractNumber: row.contract_number,
    creditor: row.creditor,
    debtorName: maskName(pii.decrypt(row.debtor_name_encrypted)),
    outstanding: moneyOf(row.outstanding),
    status: 'active'
  }
}

/**
 * The lookup's answer for a debt already identified otherwise (a payment link: the letter proves possession, so no
 * IIN is asked and the contract's lookup lock does not apply); null when the debt is unknown or no longer payable.
 */
export async function payableDebtLookup (deps: Deps, debtId: string): Promise<DebtLookup | null> {
  const row = await findDebt(deps.db, debtId)
  return row === undefined || row.status !== 'active' ? null : toDebtLookup(deps.pii, row)
}

export function debtNotFound (): DomainError {
  return new DomainError('debt_not_found', 'No payable debt matches this contract number and IIN')
}

export async function listDebtsPage (
  deps: Deps,
  query: {
    contractNumber?: string
    paymentCode?: string
    /** The debtor's IIN as its blind index (http/search.ts validated and computed it) */
    iinIndex?: string
    creditorId?: string
    status?: DebtRow['status']
    limit?: number
    startingAfter?: string
  }
): Promise<{ data: Debt[], hasMore: boolean, nextCursor: string | null }> {
  const limit = query.limit ?? 20
  const creditorId = query.creditorId === undefined ? undefined : fromPublicId('creditor', query.creditorId)
  if (creditorId === null) return EMPTY_PAGE
  const rows = await listDebts(deps.db, {
    contractNumberNormalized: query.contractNumber === undefined
      ? undefined
      : normalizeContractNumber(query.contractNumber),
    paymentCode: query.paymentCode,
    iinIndex: query.iinIndex,
    creditorId,
    status: query.status,
    limit,
    startingAfter: query.startingAfter === undefined ? null : fromPublicId('debt', query.startingAfter)
  })
  return toPage(rows, limit, (shown) => shown.map((row) => toDebt(deps.pii, row)))
}

/**
 * The operator's status change, through the ledger. `recalled` (the
 * creditor takes the claim back) posts claim_recalled for what is
 * outstanding. Undoing a recall (`active` or `closed`) reinstates the claim
 * as the creditor last stated it with claim_adjusted, and the status then
 * follows the outstanding amount. Between `active` and `closed` the status
 * only ever follows the outstanding amount: asking for the other one is 409.
 */
export async function changeDebtStatus (
  deps: Deps & { payments: ClaimPayments }, actor: Actor, publicId: string, status: DebtRow['status']
): Promise<Debt> {
  const id = fromPublicId('debt', publicId)
  if (id === null) throw new DomainError('debt_not_found', 'No debt with this id')
  return await deps.db.transaction().execute(async (trx) => {
    await deps.payments.lockPaymentsOfDebts(trx, [id])
    const before = await findDebt(trx, id, { forUpdate: true })
    if (before === undefined) throw new DomainError('debt_not_found', 'No debt with this id')
    if (before.status === status) return toDebt(deps.pii, before)
    const reference = { type: 'debt' as const, id }
    let details: Record<string, unknown> = {}
    if (status === 'recalled') {
      const recalled = await recallClaim(trx, { debtId: id, creditorId: before.creditor_id, reference })
      await setDebtStatus(trx, id, 'recalled')
      details = { recalled: recalled.toString() }
    } else if (before.status === 'recalled') {
      const change = await restateClaim(trx, {
        debtId: id,
        creditorId: before.creditor_id,
        claim: before.claim_amount,
        reference
      })
      const outstanding = change?.outstanding ?? before.outstanding
      await setDebtStatus(trx, id, statusFor('active', outstanding))
      if (outstanding === 0n) await publishDebtClosed(trx, id)
      details = { reinstated: (change?.difference ?? 0n).toString() }
    } else {
      throw new DomainError('debt_status_follows_outstanding', `The status follows the outstanding amount: this debt is ${before.status} with ${before.outstanding} tiyn outstanding`)
    }
    const after = await findDebt(trx, id) as DebtRow
    await recordAudit(trx, actor, { action: 'debt.status_changed', entityType: 'debt', entityId: publicId, details: { from: before.status, to: after.status, ...details } })
    return toDebt(deps.pii, after)
  })
}

/** Forgets the lookup counters whose window has passed (the hourly job); how many went. */
export async function purgeExpiredLookupFailures (db: Database): Promise<number> {
  return await purgeLookupFailures(db)
}

// What other modules read of a debt (the payer's flow, settlement, refunds, receipts).
export { contractNumbersOf, findDebt, findDebtByPaymentCode } from './repository.js'
// What the partner API, the payments' partner view and the events read of debts (a debt's view is built here).
export { debtFactsOf, debtMatchingSql, debtOfCreditorsSql, debtorNameOf, listCreditorDebts, type DebtFacts, type DebtMatch } from './repository.js'
export { toPartnerDebt } from './views.js'

/** The debts under a contract number, as the back office types it. */
export async function debtIdsOfContract (db: Database, contractNumber: string): Promise<string[]> {
  return await debtIdsOfNormalizedContract(db, normalizeContractNumber(contractNumber))
}
