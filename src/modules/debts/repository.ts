import { sql, type Insertable, type Selectable, type Transaction } from 'kysely'
import type { Database } from '../../db/database.js'
import type { DB, DebtImportRowsTable, DebtImportsTable, DebtsTable } from '../../db/types.js'
import { outstandingOf, outstandingSql } from '../ledger/service.js'

type Handle = Database | Transaction<DB>
/** A debt with its outstanding amount: the balance of its receivable account in the ledger. */
export type DebtRow = Selectable<DebtsTable> & { outstanding: bigint }
export type DebtImportRow = Selectable<DebtImportsTable>

function withOutstanding (db: Handle) {
  return db.selectFrom('debts').selectAll('debts').select(sql<bigint>`coalesce(${outstandingSql(sql.ref('debts.id'))}, 0)`.as('outstanding'))
}

export async function findDebtByKey (db: Handle, contractNumberNormalized: string, iinIndex: string): Promise<DebtRow | undefined> {
  return await withOutstanding(db)
    .where('contract_number_normalized', '=', contractNumberNormalized)
    .where('debtor_iin_index', '=', iinIndex)
    .executeTakeFirst()
}

// --- lookup throttle ---------------------------------------------------------

/** Is this contract locked by wrong lookups? Time is the database's, so every API process agrees. */
export async function isContractLocked (db: Handle, contractKey: string): Promise<boolean> {
  const row = await db.selectFrom('lookup_contract_failures').select('contract_key')
    .where('contract_key', '=', contractKey).where('locked_until', '>', sql<Date>`now()`)
    .executeTakeFirst()
  return row !== undefined
}

/**
 * Counts one wrong lookup of a contract in a window of `seconds` started by
 * the first one; the one that reaches `threshold` locks the contract for
 * `seconds`. While locked nothing is counted, so the lock ends on time.
 */
export async function recordLookupFailure (db: Handle, contractKey: string, threshold: number, seconds: number): Promise<void> {
  const span = sql`make_interval(secs => ${seconds})`
  const fresh = sql`f.window_started_at <= now() - ${span}`
  const failures = sql`case when ${fresh} then 1 else f.failures + 1 end`
  const lockedUntil = sql`case when ${failures} >= ${threshold} then now() + ${span} end`
  await sql`
    insert into lookup_contract_failures as f (contract_key, failures, window_started_at, locked_until, expires_at)
    values (${contractKey}, 1, now(), case when 1 >= ${threshold} then now() + ${span} end, now() + ${span})
    on conflict (contract_key) do update set
      failures = ${failures},
      window_started_at = case when ${fresh} then now() else f.window_started_at end,
      locked_until = ${lockedUntil},
      expires_at = coalesce(${lockedUntil}, case when ${fresh} then now() else f.window_started_at end + ${span})
    where f.locked_until is null or f.locked_until <= now()`.execute(db)
}

export async function purgeLookupFailures (db: Handle): Promise<number> {
  const result = await db.deleteFrom('lookup_contract_failures').where('expires_at', '<=', sql<Date>`now()`).executeTakeFirst()
  return Number(result.numDeletedRows)
}

/**
 * With `forUpdate` the debt row is locked first and its outstanding read in
 * a second statement: a statement that waited for the lock would otherwise
 * read the balance from before the lock holder's postings.
 */
export async function findDebt (db: Handle, id: string, options: { forUpdate?: boolean } = {}): Promise<DebtRow | undefined> {
  if (options.forUpdate !== true) return await withOutstanding(db).where('id', '=', id).executeTakeFirst()
  const row = await db.selectFrom('debts').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
  if (row === undefined) return undefined
  return { ...row, outstanding: (await outstandingOf(db, [id])).get(id) ?? 0n }
}

export async function listDebts (db: Handle, filter: { contractNumberNormalized?: string, status?: DebtRow['status'], limit: number, startingAfter: string | null }): Promise<DebtRow[]> {
  let query = withOutstanding(db).orderBy('id', 'asc').limit(filter.limit + 1)
  if (filter.contractNumberNormalized !== undefined) query = query.where('contract_number_normalized', '=', filter.contractNumberNormalized)
  if (filter.status !== undefined) query = query.where('status', '=', filter.status)
  if (filter.startingAfter !== null) query = query.where('id', '>', filter.startingAfter)
  return await query.execute()
}

export async function setDebtStatus (db: Handle, id: string, status: DebtRow['status']): Promise<void> {
  await db.updateTable('debts').set({ status, updated_at: new Date() }).where('id', '=', id).execute()
}

// --- imports ---------------------------------------------------------------

export async function insertImport (db: Handle, row: { id: string, file_name: string | null, file_bytes: bigint, created_by_key_id: string | null }): Promise<void> {
  await db.insertInto('debt_imports').values(row).execute()
}

export async function findImport (db: Handle, id: string): Promise<DebtImportRow | undefined> {
  return await db.selectFrom('debt_imports').selectAll().where('id', '=', id).executeTakeFirst()
}

export type StagedRow = Insertable<DebtImportRowsTable>

export async function stageRows (db: Handle, rows: StagedRow[]): Promise<void> {
  if (rows.length > 0) await db.insertInto('debt_import_rows').values(rows).execute()
}

export async function setImportTotals (db: Handle, id: string, rowsTotal: number, fileBytes: bigint): Promise<void> {
  await db.updateTable('debt_imports').set({ rows_total: rowsTotal, file_bytes: fileBytes }).where('id', '=', id).execute()
}

/** Queued (or running, when a crashed attempt is retried) -> running. */
export async function claimImport (db: Handle, id: string): Promise<boolean> {
  const result = await db.updateTable('debt_imports').set({ status: 'running', started_at: sql`coalesce(started_at, now())` })
    .where('id', '=', id).where('status', 'in', ['queued', 'running']).executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/**
 * Later occurrences of a (contract, IIN) pair already in the file are
 * rejected; the first one counts. One pass with a window function, joined
 * back by primary key, so the cost stays linear in the file.
 */
export async function rejectDuplicates (db: Handle, importId: string): Promise<void> {
  // Fresh statistics: the staged rows arrived in one burst, and a plan made
  // for an empty table would join them quadratically.
  await sql`analyze debt_import_rows`.execute(db)
  await sql`
    update debt_import_rows r
       set payload = null, outcome = 'rejected', error_code = 'duplicate_in_file', error_column = 'contract_number',
           error_message = 'the same contract number and IIN appear on line ' || d.first_line
      from (select line, first_value(line) over (partition by contract_number_normalized, debtor_iin_index order by line) as first_line
              from debt_import_rows
             where import_id = ${importId} and payload is not null) d
     where r.import_id = ${importId} and r.line = d.line and d.line > d.first_line`.execute(db)
}

/** Keyset by line: each batch starts where the last ended, never rescanning finished rows. */
export async function nextPendingRows (db: Handle, importId: string, afterLine: number, limit: number): Promise<Array<{ line: number, payload: string }>> {
  const rows = await db.selectFrom('debt_import_rows').select(['line', 'payload'])
    .where('import_id', '=', importId).where('line', '>', afterLine)
    .where('outcome', 'is', null).where('payload', 'is not', null)
    .orderBy('line').limit(limit).execute()
  return rows as Array<{ line: number, payload: string }>
}

export type DebtInsert = Insertable<DebtsTable>
export type ExistingDebt = Pick<Selectable<DebtsTable>, 'id' | 'contract_number_normalized' | 'debtor_iin_index' | 'source_hash' | 'claim_amount' | 'creditor' | 'status'>

/** Debts already known by these (contract, IIN) keys; with `lock`, locked in id order. */
export async function existingDebts (db: Handle, keys: Array<{ contract_number_normalized: string, debtor_iin_index: string }>, lock: boolean): Promise<ExistingDebt[]> {
  if (keys.length === 0) return []
  let query = db.selectFrom('debts').select(['id', 'contract_number_normalized', 'debtor_iin_index', 'source_hash', 'claim_amount', 'creditor', 'status'])
    .where(sql<boolean>`(contract_number_normalized, debtor_iin_index) in (${sql.join(keys.map((k) => sql`(${k.contract_number_normalized}, ${k.debtor_iin_index})`))})`)
    .orderBy('id')
  if (lock) query = query.forUpdate()
  return await query.execute()
}

/** New debts; a key another import inserted meanwhile is left out of the result. */
export async function insertDebts (db: Handle, rows: DebtInsert[]): Promise<string[]> {
  if (rows.length === 0) return []
  const written = await db.insertInto('debts').values(rows)
    .onConflict((oc) => oc.columns(['contract_number_normalized', 'debtor_iin_index']).doNothing())
    .returning('id').execute()
  return written.map((w) => w.id)
}

/** The creditor's statement of known debts: descriptive fields only, set-based. */
export async function updateDebtStatements (db: Handle, rows: Array<DebtInsert & { id: string }>): Promise<void> {
  if (rows.length === 0) return
  await sql`
    update debts d set contract_number = v.contract_number, debtor_name_encrypted = v.debtor_name_encrypted, creditor = v.creditor,
           currency = v.currency, claim_amount = v.claim_amount::bigint, source_hash = v.source_hash, import_id = v.import_id::uuid, updated_at = now()
      from (values ${sql.join(rows.map((r) => sql`(${r.id}::uuid, ${r.contract_number}, ${r.debtor_name_encrypted}, ${r.creditor}, ${r.currency ?? 'KZT'}, ${r.claim_amount}, ${r.source_hash}, ${r.import_id ?? null})`))})
        as v (id, contract_number, debtor_name_encrypted, creditor, currency, claim_amount, source_hash, import_id)
     where d.id = v.id`.execute(db)
}

export async function setRowOutcome (db: Handle, importId: string, lines: number[], outcome: 'imported' | 'adjusted' | 'unchanged'): Promise<void> {
  if (lines.length === 0) return
  await db.updateTable('debt_import_rows').set({ outcome })
    .where('import_id', '=', importId).where('line', 'in', lines).execute()
}
/** Totals and the first 1000 errors from the staged rows, then the rows go. */
export async function finishImport (db: Handle, importId: string): Promise<void> {
  await sql`
    update debt_imports i set
      status = 'completed',
      finished_at = now(),
      rows_total = s.total,
      rows_imported = s.imported,
      rows_unchanged = s.unchanged,
      rows_adjusted = s.adjusted,
      rows_rejected = s.rejected,
      errors = coalesce((
        select jsonb_agg(jsonb_build_object('line', e.line, 'column', e.error_column, 'code', e.error_code, 'message', e.error_message) order by e.line)
          from (select * from debt_import_rows where import_id = ${importId} and error_code is not null order by line limit 1000) e
      ), '[]'::jsonb)
    from (select count(*)::int as total,
                 count(*) filter (where outcome = 'imported')::int as imported,
                 count(*) filter (where outcome = 'unchanged')::int as unchanged,
                 count(*) filter (where outcome = 'adjusted')::int as adjusted,
                 count(*) filter (where outcome = 'rejected')::int as rejected
            from debt_import_rows where import_id = ${importId}) s
    where i.id = ${importId}`.execute(db)
  await db.deleteFrom('debt_import_rows').where('import_id', '=', importId).execute()
}

export async function failImport (db: Handle, importId: string, reason: string): Promise<void> {
  await db.updateTable('debt_imports').set({ status: 'failed', failure_reason: reason, finished_at: new Date() })
    .where('id', '=', importId).execute()
  await db.deleteFrom('debt_import_rows').where('import_id', '=', importId).execute()
}
