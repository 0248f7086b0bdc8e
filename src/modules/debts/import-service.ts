import { isUniqueViolation, type Database, type Trx } from '../../db/database.js'
import type { PiiCipher } from '../../lib/crypto.js'
import { fromPublicId } from '../../lib/ids.js'
import { DomainError } from '../../lib/errors.js'
import { assignClaims, assignClaimsFrom, holdClaimsAccounts, openClaimsAccounts, restateClaim, type Reference } from '../ledger/service.js'
import type { ClaimPayments } from './claim-payments.js'
import { resolveImportCreditors } from '../creditors/service.js'
import { addCreditorsCreated, claimImport, completeStagedBatch, countStagedRows, existingDebts, failImport, findImport, finishImport, importCreditors, insertDebts, insertStagedDebts, lockStagedChanges, missingStagedRows, planBatchAsKeyLookups, rejectDuplicates, setDebtStatus, stagedBatches, stagedCreditors, updateDebtStatements, updateStagedStatements, type DebtInsert, type StagedBatch } from './repository.js'
import { statusFor } from './status.js'
import { enqueueJob, JobInterrupted } from '../../db/jobs.js'
import { DEBT_IMPORT_TASK, IMPORT_MAX_ATTEMPTS } from './import-upload.js'
import { publishDebtClosed, publishImportCompleted } from './events.js'
import type { DebtImport } from './schemas.js'
import { toDebtImport } from './views.js'

export { DEBT_IMPORT_TASK, stageImport } from './import-upload.js'
/** Staged rows applied per transaction: large enough to amortise each statement, small enough to resume. */
const PROCESS_BATCH = 50_000
/**
 * Batches applied at once, each on its own connection: a batch is one
 * database backend's work (one core), and batches of one import touch
 * disjoint debts (duplicates are out first). They meet on the creditors'
 * claims accounts, which each batch's lines trigger locks until its
 * commit: the inserts run side by side, the bookings take turns (and a
 * batch restating claims holds its creditors' accounts from its start).
 */
const BATCH_CONCURRENCY = 2

/** `payments`: what a changed claim does to the debts' payments (payments/claims.ts `claimPayments`). */
interface Deps { db: Database, pii: PiiCipher, payments: ClaimPayments }


export async function getImport (db: Database, publicId: string): Promise<DebtImport> {
  const id = fromPublicId('debtImport', publicId)
  const row = id === null ? undefined : await findImport(db, id)
  if (row === undefined) throw new DomainError('debt_import_not_found', 'No debt import with this id')
  return toDebtImport(row)
}

export type RowOutcome = 'imported' | 'adjusted' | 'unchanged'
type NewDebt = Omit<DebtInsert, 'creditor_id'> & { id: string, claim_amount: bigint }

function keyOf (row: { contract_number_normalized: string, debtor_iin_index: string }): string {
  return `${row.contract_number_normalized}\u0000${row.debtor_iin_index}`
}

/**
 * Rows of the creditor's portfolio, applied (docs/ledger.md): the amount
 * is the claim. A new debt gets claim_assigned. A known debt whose row is
 * unchanged is left alone; a corrected name, contract spelling or creditor
 * spelling changes descriptive data only; a changed claim posts
 * claim_adjusted for the difference, so collections are never overwritten
 * (a claim below what was collected leaves the surplus as overpaid, and
 * those payments are flagged). A recalled debt records the new claim and
 * stays recalled: it applies if the recall is undone. Lock order as
 * everywhere: the debts' payments, then the debts, then the ledger.
 */
export async function applyDebtRows (
  trx: Trx, rows: NewDebt[], reference: Reference, payments: ClaimPayments
): Promise<Map<string, RowOutcome>> {
  const outcomes = new Map<string, RowOutcome>()
  const creditorIds = (await resolveImportCreditors(trx, [...new Set(rows.map((r) => r.creditor))])).ids
  const creditorIdOf = (row: NewDebt): string => creditorIds.get(row.creditor) as string
  const seen = await existingDebts(trx, rows, false)
  const claimChanged = (before: { claim_amount: bigint, source_hash: string }, row: NewDebt): boolean =>
    before.source_hash !== row.source_hash && before.claim_amount !== row.claim_amount
  const byKeyBefore = new Map(seen.map((d) => [keyOf(d), d]))
  await payments.lockPaymentsOfDebts(trx, rows.flatMap((r) => {
    const before = byKeyBefore.get(keyOf(r))
    return before !== undefined && claimChanged(before, r) ? [before.id] : []
  }))
  // Nothing known yet (a new portfolio): nothing to lock; a key another import
  // inserts meanwhile is caught by the insert below.
  const existing = new Map(seen.length === 0 ? [] : (await existingDebts(trx, rows, true)).map((d) => [keyOf(d), d]))

  const fresh = rows.filter((r) => !existing.has(keyOf(r)))
  const inserted = new Set(await insertDebts(trx, fresh.map((r) => ({
    ...r, creditor_id: creditorIdOf(r), status: r.claim_amount === 0n ? 'closed' as const : 'active' as const
  }))))
  // another import inserted one of these keys meanwhile: the job's retry sees it as known
  if (inserted.size !== fresh.length) throw new Error('a debt of this batch was inserted concurrently; retrying')
  await assignClaims(trx, fresh.map((r) => ({
    debtId: r.id, creditorId: creditorIdOf(r), amount: r.claim_amount, reference
  })))
  for (const r of fresh) outcomes.set(keyOf(r), 'imported')

  const changed: Array<DebtInsert & { id: string }> = []
  const adjusted: Array<{ id: string, status: 'active' | 'closed' | 'recalled', row: NewDebt }> = []
  for (const row of rows) {
    const before = existing.get(keyOf(row))
    if (before === undefined) continue
    if (before.source_hash === row.source_hash) {
      outcomes.set(keyOf(row), 'unchanged')
      continue
    }
    changed.push({ ...row, creditor_id: creditorIdOf(row), id: before.id })
    if (before.claim_amount !== row.claim_amount) {
      adjusted.push({ id: before.id, status: before.status, row })
      outcomes.set(keyOf(row), 'adjusted')
    } else {
      outcomes.set(keyOf(row), 'imported')
    }
  }
  await updateDebtStatements(trx, changed)
  for (const debt of adjusted) {
    if (debt.status === 'recalled') continue
    const change = await restateClaim(trx, {
      debtId: debt.id,
      creditorId: creditorIdOf(debt.row),
      claim: debt.row.claim_amount,
      reference
    })
    if (change === null) continue
    const next = statusFor(debt.status, change.outstanding)
    if (next !== debt.status) await setDebtStatus(trx, debt.id, next)
    if (next === 'closed' && debt.status !== 'closed') await publishDebtClosed(trx, debt.id)
    const details = { reference: reference.type, claimDifference: change.difference.toString() }
    await payments.flagOverpaid(trx, change.overpaidPayments, details)
  }
  return outcomes
}

/**
 * One batch of staged rows, set-based, in the caller's transaction (the
 * same rules as applyDebtRows): new debts inserted with their
 * claim_assigned in one statement, known debts with another fingerprint
 * restated (descriptive data and the claim as stated, one statement), a
 * changed claim through the ledger's restateClaim, unchanged rows left
 * alone. The batch's rows then go and the import counts them, so a retried
 * job resumes after the last committed batch.
 */
export async function applyStagedBatch (trx: Trx, batch: StagedBatch, payments: ClaimPayments): Promise<void> {
  const reference: Reference = { type: 'import', id: batch.importId }
  await planBatchAsKeyLookups(trx)
  const changes = await lockStagedChanges(trx, batch, payments)
  const { fresh, unchanged } = await countStagedRows(trx, batch)
  if (fresh + unchanged + changes.length !== batch.rows) throw new Error('staged rows of this batch changed meanwhile; retrying')
  const adjusted = changes.filter((c) => c.claimChanged)
  const restating = adjusted.some((c) => c.status !== 'recalled')
  const creditors = fresh > 0 || restating ? await stagedCreditors(trx, batch) : []
  // restated claims post on their creditors' accounts one by one, after the new debts' booking: the batch holds all of
  // its creditors' accounts first (a batch of new debts only locks them once, in its booking, and runs side by side
  // with another until then)
  if (restating) await holdClaimsAccounts(trx, creditors)
  const inserted = fresh === 0 ? 0 : await assignClaimsFrom(trx, {
    source: insertStagedDebts(batch), creditors, reference
  }).catch((error: unknown) => {
    // another import inserted one of these keys meanwhile: the job's retry sees it as known
    throw isUniqueViolation(error) ? new Error('a debt of this batch was inserted concurrently; retrying', { cause: error }) : error
  })
  if (inserted !== fresh) throw new Error('a debt of this batch was inserted concurrently; retrying')
  if (changes.length > 0) await updateStagedStatements(trx, batch)
  for (const debt of adjusted) {
    if (debt.status === 'recalled') continue
    const change = await restateClaim(trx, {
      debtId: debt.id,
      creditorId: debt.creditorId,
      claim: debt.claimAmount,
      reference
    })
    if (change === null) continue
    const next = statusFor(debt.status, change.outstanding)
    if (next !== debt.status) await setDebtStatus(trx, debt.id, next)
    if (next === 'closed' && debt.status !== 'closed') await publishDebtClosed(trx, debt.id)
    const details = { reference: reference.type, claimDifference: change.difference.toString() }
    await payments.flagOverpaid(trx, change.overpaidPayments, details)
  }
  await completeStagedBatch(trx, batch, {
    imported: inserted + changes.length - adjusted.length,
    unchanged,
    adjusted: adjusted.length
  })
}

/**
 * The worker's part: duplicates out, then the staged rows in batches, each
 * one transaction. Staged rows lost with a database crash (the staging
 * table is unlogged) fail the import with a reason, never a short report.
 */
/**
 * `stopping`: aborted when the process stops; the import stops after its current batch (JobInterrupted) and resumes
 * later. `batchSize`: rows per transaction.
 */
export async function processImport (
  deps: Deps, importId: string, stopping?: AbortSignal, batchSize = PROCESS_BATCH
): Promise<void> {
  if (!await claimImport(deps.db, importId)) return
  const missing = await missingStagedRows(deps.db, importId)
  if (missing > 0) {
    await failImport(deps.db, importId, `${missing} staged rows were lost when the database restarted; upload the file again (rows already imported are left unchanged)`)
    return
  }
  await rejectDuplicates(deps.db, importId)
  const creditorIds = await resolveStagedCreditors(deps.db, importId)
  await openClaimsAccounts(deps.db, Object.values(creditorIds))
  const batches = (await stagedBatches(deps.db, importId, batchSize)).map((b) => ({ ...b, creditorIds }))
  let failed = false
  // each runner takes the next batch until none is left, the process stops, or a batch failed
  const runner = async (): Promise<void> => {
    while (!failed) {
      if (stopping?.aborted === true) throw new JobInterrupted('the import')
      const batch = batches.shift()
      if (batch === undefined) return
      try {
        await deps.db.transaction().execute(async (trx) => { await applyStagedBatch(trx, batch, deps.payments) })
      } catch (error) {
        failed = true
        throw error
      }
    }
  }
  // every runner ends its batch before the job ends: a retry never overlaps a batch still running
  const rejected = (await Promise.allSettled(Array.from({ length: BATCH_CONCURRENCY }, runner)))
    .flatMap((r) => r.status === 'rejected' ? [r.reason as unknown] : [])
  if (rejected.length > 0) throw rejected.find((e) => !(e instanceof JobInterrupted)) ?? rejected[0]
  await deps.db.transaction().execute(async (trx) => {
    await finishImport(trx, importId)
    await publishImportCompleted(trx, importId)
  })
}

/**
 * The creditor of every name among the import's valid rows (DESIGN 18): matched by folded name or alias, one query
 * for the distinct names; a name no creditor has makes one, recorded on the import (`creditorsCreated`) in the same
 * transaction. A retried job finds them made and the record kept.
 */
export async function resolveStagedCreditors (db: Database, importId: string): Promise<Record<string, string>> {
  const names = await importCreditors(db, importId)
  return await db.transaction().execute(async (trx) => {
    const { ids, created } = await resolveImportCreditors(trx, names)
    await addCreditorsCreated(trx, importId, created)
    return Object.fromEntries(ids)
  })
}

/** An import interrupted on its job's last attempt gets a fresh job: a shutdown is not a failure. */
export async function requeueImport (db: Database, importId: string): Promise<void> {
  await enqueueJob(db, DEBT_IMPORT_TASK, { importId }, { maxAttempts: IMPORT_MAX_ATTEMPTS })
}

/** After the last retry: the import is failed for good and its staged rows (with PII) go. */
export async function abandonImport (db: Database, importId: string): Promise<void> {
  await failImport(db, importId, 'processing failed repeatedly; see the worker log')
}
