import type { Readable } from 'node:stream'
import type { Database } from '../../db/database.js'
import type { PiiCipher } from '../../lib/crypto.js'
import { CsvReader, CsvSyntaxError, detectDelimiter, type CsvRecord } from '../../lib/csv.js'
import { fromPublicId, toPublicId, uuidv7 } from '../../lib/ids.js'
import { AppError, NotFound, Unprocessable } from '../../http/errors.js'
import { enqueueJob } from '../../jobs/queue.js'
import { recordAudit, type Actor } from '../audit/repository.js'
import { mapHeader, parseRow, type DebtRow, type HeaderError, type HeaderMap } from './import-rows.js'
import type { Transaction } from 'kysely'
import type { DB } from '../../db/types.js'
import { assignClaims, restateClaim, type Reference } from '../ledger/service.js'
import { flagOverpaid, lockPaymentsOfDebts } from '../payments/settlement.js'
import {
  claimImport, existingDebts, failImport, findImport, finishImport, insertDebts, insertImport, nextPendingRows, rejectDuplicates,
  setDebtStatus, setImportTotals, setRowOutcome, stageRows, updateDebtStatements, type DebtImportRow, type DebtInsert, type StagedRow
} from './repository.js'
import { statusFor } from './status.js'
import { publishDebtClosed, publishImportCompleted } from '../events/service.js'
import type { DebtImport } from './schemas.js'

export const DEBT_IMPORT_TASK = 'debt-import'
const STAGE_BATCH = 1000
const PROCESS_BATCH = 1000

interface Deps { db: Database, pii: PiiCipher }

export function toDebtImport (row: DebtImportRow): DebtImport {
  return {
    id: toPublicId('debtImport', row.id),
    status: row.status,
    rowsTotal: row.rows_total,
    rowsImported: row.rows_imported,
    rowsUnchanged: row.rows_unchanged,
    rowsAdjusted: row.rows_adjusted,
    rowsRejected: row.rows_rejected,
    errors: row.errors,
    failureReason: row.failure_reason,
    createdAt: row.created_at.toISOString(),
    startedAt: row.started_at?.toISOString() ?? null,
    finishedAt: row.finished_at?.toISOString() ?? null
  }
}

/** The key a debt is known by: its normalised contract number and the IIN's blind index. */
export function iinIndex (pii: PiiCipher, iin: string): string {
  return pii.blindIndex(`iin:${iin}`)
}

function sourceHash (pii: PiiCipher, row: DebtRow): string {
  return pii.blindIndex(`debt-row:${JSON.stringify([row.contractNumber, row.iin, row.debtorName, row.creditor, row.outstanding.toString(), row.currency])}`)
}

function stage (pii: PiiCipher, importId: string, record: CsvRecord, header: HeaderMap): StagedRow {
  const parsed = parseRow(record.fields, header)
  if (!parsed.ok) {
    return { import_id: importId, line: record.line, contract_number_normalized: null, debtor_iin_index: null, payload: null, error_code: parsed.error.code, error_column: parsed.error.column, error_message: parsed.error.message, outcome: 'rejected' }
  }
  const row = parsed.row
  return {
    import_id: importId,
    line: record.line,
    contract_number_normalized: row.contractNumberNormalized,
    debtor_iin_index: iinIndex(pii, row.iin),
    payload: pii.encrypt(JSON.stringify({ ...row, outstanding: row.outstanding.toString() })),
    error_code: null,
    error_column: null,
    error_message: null,
    outcome: null
  }
}

/**
 * Streams an uploaded CSV into the staging table (in batches, so memory does
 * not grow with the file), then queues the import. A file over the limit or
 * with an unusable header leaves nothing behind.
 */
export async function stageImport (deps: Deps, actor: Actor, input: { body: Readable, maxBytes: number, fileName: string | null }): Promise<{ id: string, status: 'queued', rowsTotal: number }> {
  const id = uuidv7()
  const publicId = toPublicId('debtImport', id)
  const tooLarge = new AppError(413, 'payload_too_large', 'Payload too large', `The file is larger than the limit of ${input.maxBytes} bytes`)
  return await deps.db.transaction().execute(async (trx) => {
    await insertImport(trx, { id, file_name: input.fileName, file_bytes: 0n, created_by_key_id: actor.keyId })
    const decoder = new TextDecoder('utf-8') // strips a leading BOM
    let bytes = 0
    let pending = ''
    let reader: CsvReader | null = null
    let header: HeaderMap | null = null
    let batch: StagedRow[] = []
    let rowsTotal = 0

    const take = async (records: CsvRecord[]): Promise<void> => {
      for (const record of records) {
        if (header === null) {
          try {
            header = mapHeader(record.fields)
          } catch (error) {
            throw new Unprocessable('invalid_csv_header', `The header row is not usable: ${(error as HeaderError).message}. Expected: contract_number,debtor_iin,debtor_name,creditor,outstanding[,currency]`)
          }
          continue
        }
        batch.push(stage(deps.pii, id, record, header))
        rowsTotal++
        if (batch.length >= STAGE_BATCH) {
          await stageRows(trx, batch)
          batch = []
        }
      }
    }

    try {
      for await (const chunk of input.body) {
        bytes += (chunk as Buffer).length
        if (bytes > input.maxBytes) throw tooLarge
        const text = decoder.decode(chunk as Buffer, { stream: true })
        if (reader === null) {
          pending += text
          const newline = pending.search(/[\r\n]/)
          if (newline === -1) continue
          reader = new CsvReader(detectDelimiter(pending.slice(0, newline)))
          await take(reader.push(pending))
          pending = ''
        } else {
          await take(reader.push(text))
        }
      }
      reader ??= new CsvReader(detectDelimiter(pending))
      await take(reader.push(pending + decoder.decode()))
      await take(reader.end())
    } catch (error) {
      if (error instanceof CsvSyntaxError) throw new Unprocessable('invalid_csv', `The file is not valid CSV: ${error.message}`)
      throw error
    }
    if (header === null) throw new Unprocessable('invalid_csv_header', 'The file is empty: a header row is required')
    await stageRows(trx, batch)
    await setImportTotals(trx, id, rowsTotal, BigInt(bytes))
    await enqueueJob(trx, DEBT_IMPORT_TASK, { importId: id }, { maxAttempts: 5 })
    await recordAudit(trx, actor, { action: 'debt_import.created', entityType: 'debt_import', entityId: publicId, details: { rowsTotal, bytes, fileName: input.fileName } })
    return { id: publicId, status: 'queued' as const, rowsTotal }
  })
}

export async function getImport (db: Database, publicId: string): Promise<DebtImport> {
  const id = fromPublicId('debtImport', publicId)
  const row = id === null ? undefined : await findImport(db, id)
  if (row === undefined) throw new NotFound('debt_import_not_found', 'No debt import with this id')
  return toDebtImport(row)
}

export type RowOutcome = 'imported' | 'adjusted' | 'unchanged'
type NewDebt = DebtInsert & { id: string, claim_amount: bigint }

function keyOf (row: { contract_number_normalized: string, debtor_iin_index: string }): string {
  return `${row.contract_number_normalized}\u0000${row.debtor_iin_index}`
}

/**
 * Rows of the creditor's portfolio, applied (DESIGN section 10): the amount
 * is the claim. A new debt gets claim_assigned. A known debt whose row is
 * unchanged is left alone; a corrected name, contract spelling or creditor
 * spelling changes descriptive data only; a changed claim posts
 * claim_adjusted for the difference, so collections are never overwritten
 * (a claim below what was collected leaves the surplus as overpaid, and
 * those payments are flagged). A recalled debt records the new claim and
 * stays recalled: it applies if the recall is undone. Lock order as
 * everywhere: the debts' payments, then the debts, then the ledger.
 */
export async function applyDebtRows (trx: Transaction<DB>, rows: NewDebt[], reference: Reference): Promise<Map<string, RowOutcome>> {
  const outcomes = new Map<string, RowOutcome>()
  const seen = await existingDebts(trx, rows, false)
  const claimChanged = (before: { claim_amount: bigint, source_hash: string }, row: NewDebt): boolean => before.source_hash !== row.source_hash && before.claim_amount !== row.claim_amount
  const byKeyBefore = new Map(seen.map((d) => [keyOf(d), d]))
  await lockPaymentsOfDebts(trx, rows.flatMap((r) => {
    const before = byKeyBefore.get(keyOf(r))
    return before !== undefined && claimChanged(before, r) ? [before.id] : []
  }))
  // Nothing known yet (a new portfolio): nothing to lock; a key another import
  // inserts meanwhile is caught by the insert below.
  const existing = new Map(seen.length === 0 ? [] : (await existingDebts(trx, rows, true)).map((d) => [keyOf(d), d]))

  const fresh = rows.filter((r) => !existing.has(keyOf(r)))
  const inserted = new Set(await insertDebts(trx, fresh.map((r) => ({ ...r, status: r.claim_amount === 0n ? 'closed' as const : 'active' as const }))))
  // another import inserted one of these keys meanwhile: the job's retry sees it as known
  if (inserted.size !== fresh.length) throw new Error('a debt of this batch was inserted concurrently; retrying')
  await assignClaims(trx, fresh.map((r) => ({ debtId: r.id, creditor: r.creditor, amount: r.claim_amount, reference })))
  for (const r of fresh) outcomes.set(keyOf(r), 'imported')

  const changed: Array<NewDebt & { id: string }> = []
  const adjusted: Array<{ id: string, status: 'active' | 'closed' | 'recalled', row: NewDebt }> = []
  for (const row of rows) {
    const before = existing.get(keyOf(row))
    if (before === undefined) continue
    if (before.source_hash === row.source_hash) {
      outcomes.set(keyOf(row), 'unchanged')
      continue
    }
    changed.push({ ...row, id: before.id })
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
    const change = await restateClaim(trx, { debtId: debt.id, creditor: debt.row.creditor, claim: debt.row.claim_amount, reference })
    if (change === null) continue
    const next = statusFor(debt.status, change.outstanding)
    if (next !== debt.status) await setDebtStatus(trx, debt.id, next)
    if (next === 'closed' && debt.status !== 'closed') await publishDebtClosed(trx, debt.id)
    await flagOverpaid(trx, change.overpaidPayments, { reference: reference.type, claimDifference: change.difference.toString() })
  }
  return outcomes
}

/**
 * The worker's part: duplicates out, then the rows in batches, each batch
 * one transaction that also records every row's outcome, so a retried job
 * resumes where the last attempt stopped.
 */
export async function processImport (deps: Deps, importId: string): Promise<void> {
  if (!await claimImport(deps.db, importId)) return
  await rejectDuplicates(deps.db, importId)
  let afterLine = 0
  while (true) {
    const pending = await nextPendingRows(deps.db, importId, afterLine, PROCESS_BATCH)
    if (pending.length === 0) break
    afterLine = (pending.at(-1) as { line: number }).line
    await deps.db.transaction().execute(async (trx) => {
      const lineOf = new Map<string, number>()
      const rows = pending.map(({ line, payload }) => {
        const stored = JSON.parse(deps.pii.decrypt(payload)) as Omit<DebtRow, 'outstanding'> & { outstanding: string }
        const row: DebtRow = { ...stored, outstanding: BigInt(stored.outstanding) }
        const index = iinIndex(deps.pii, row.iin)
        lineOf.set(`${row.contractNumberNormalized}\u0000${index}`, line)
        return {
          id: uuidv7(),
          contract_number: row.contractNumber,
          contract_number_normalized: row.contractNumberNormalized,
          debtor_iin_encrypted: deps.pii.encrypt(row.iin),
          debtor_iin_index: index,
          debtor_name_encrypted: deps.pii.encrypt(row.debtorName),
          creditor: row.creditor,
          currency: row.currency,
          // the portfolio's amount column is the creditor's claim
          claim_amount: row.outstanding,
          source_hash: sourceHash(deps.pii, row),
          import_id: importId
        }
      })
      const outcomes = await applyDebtRows(trx, rows, { type: 'import', id: importId })
      for (const outcome of ['imported', 'adjusted', 'unchanged'] as const) {
        const lines = [...outcomes].filter(([, o]) => o === outcome).map(([key]) => lineOf.get(key) as number)
        await setRowOutcome(trx, importId, lines, outcome)
      }
    })
  }
  await deps.db.transaction().execute(async (trx) => {
    await finishImport(trx, importId)
    await publishImportCompleted(trx, importId)
  })
}

/** After the last retry: the import is failed for good and its staged rows (with PII) go. */
export async function abandonImport (db: Database, importId: string): Promise<void> {
  await failImport(db, importId, 'processing failed repeatedly; see the worker log')
}
