import { CompiledQuery, sql, type Expression, type Insertable, type RawBuilder, type Selectable } from 'kysely'
import type { Handle, Trx } from '../../db/database.js'
import { purgeFailures, recordFailure, type FailureWindow } from '../../db/failure-window.js'
import { outstandingOf, outstandingSql } from '../ledger/service.js'
import type { ClaimPayments } from './claim-payments.js'
import type { DebtImportRow, DebtRow, DebtsTable } from './tables.js'

/** What a payment shows of its debt. */
export interface DebtFacts { contract_number: string, creditor: string, creditor_id: string, payment_code: string }

/** A debt with its outstanding amount: the balance of its receivable account in the ledger. */

function withOutstanding (db: Handle) {
  return db.selectFrom('debts').selectAll('debts').select(sql<bigint>`coalesce(${outstandingSql(sql.ref('debts.id'))}, 0)`.as('outstanding'))
}

export async function findDebtByKey (
  db: Handle, contractNumberNormalized: string, iinIndex: string
): Promise<DebtRow | undefined> {
  return await withOutstanding(db)
    .where('contract_number_normalized', '=', contractNumberNormalized)
    .where('debtor_iin_index', '=', iinIndex)
    .executeTakeFirst()
}

/** What a lookup shows of a debt, read in the same statement as the contract's lock. */
export interface LookupTarget {
  locked: boolean
  debt: Pick<
    DebtRow, 'id' | 'payment_code' | 'contract_number' | 'creditor' | 'debtor_name_encrypted' | 'status' | 'outstanding'
  > | null
}

/**
 * The lookup's one round trip: is the contract locked by wrong lookups (the
 * database's time, so every API process agrees), and the debt by its key
 * with its outstanding amount. A row comes back whether or not the debt
 * exists, so a miss and a hit cost the same statement.
 */
/** The lookup's statement; parameters $1 contract key, $2 normalised contract number, $3 IIN index. */
function lookupTargetSql (db: Handle): string {
  const [contractKey, contractNumber, iinIndex] = [sql.raw('$1'), sql.raw('$2'), sql.raw('$3')]
  return sql`
    select exists (select 1 from lookup_contract_failures f where f.contract_key = ${contractKey} and f.locked_until > now()) as locked,
           d.id, d.payment_code, d.contract_number, d.creditor, d.debtor_name_encrypted, d.status,
           coalesce(${outstandingSql(sql.ref('d.id'))}, 0) as outstanding
      from (select 1) one
      left join debts d on d.contract_number_normalized = ${contractNumber} and d.debtor_iin_index = ${iinIndex}`.compile(db).sql
}
let lookupTargetText: string | null = null

export async function findLookupTarget (
  db: Handle, contractKey: string, contractNumberNormalized: string, iinIndex: string
): Promise<LookupTarget> {
  // compiled once (and prepared once per connection, db/database.ts): the public endpoint under load, where building
  // the query each time was measurable
  const result = await db.executeQuery<{ locked: boolean, id: string | null, payment_code: string, contract_number: string, creditor: string, debtor_name_encrypted: string, status: DebtRow['status'], outstanding: bigint | null }>(
    CompiledQuery.raw(lookupTargetText ??= lookupTargetSql(db), [contractKey, contractNumberNormalized, iinIndex]))
  const row = result.rows[0]
  if (row === undefined) return { locked: false, debt: null }
  const { locked, id, outstanding, ...debt } = row
  return { locked, debt: id === null ? null : { ...debt, id, outstanding: outstanding ?? 0n } }
}

// --- lookup throttle ---------------------------------------------------------

const LOOKUP_FAILURES: FailureWindow = { table: 'lookup_contract_failures', keyColumn: 'contract_key' }

/**
 * Counts one wrong lookup of a contract in a window of `seconds` started by
 * the first one; the one that reaches `threshold` locks the contract for
 * `seconds` (db/failure-window.ts).
 */
export async function recordLookupFailure (
  db: Handle, contractKey: string, threshold: number, seconds: number
): Promise<void> {
  await recordFailure(db, LOOKUP_FAILURES, contractKey, threshold, seconds)
}

export async function purgeLookupFailures (db: Handle): Promise<number> {
  return await purgeFailures(db, LOOKUP_FAILURES)
}

/**
 * With `forUpdate` the debt row is locked first and its outstanding read in
 * a second statement: a statement that waited for the lock would otherwise
 * read the balance from before the lock holder's postings.
 */
/** The debt a payment code names (DESIGN 17), with its outstanding amount. */
export async function findDebtByPaymentCode (db: Handle, paymentCode: string): Promise<DebtRow | undefined> {
  return await withOutstanding(db).where('payment_code', '=', paymentCode).executeTakeFirst()
}

export async function findDebt (
  db: Handle, id: string, options: { forUpdate?: boolean } = {}
): Promise<DebtRow | undefined> {
  if (options.forUpdate !== true) return await withOutstanding(db).where('id', '=', id).executeTakeFirst()
  const row = await db.selectFrom('debts').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
  if (row === undefined) return undefined
  return { ...row, outstanding: (await outstandingOf(db, [id])).get(id) ?? 0n }
}

export async function listDebts (
  db: Handle,
  filter: {
    contractNumberNormalized?: string
    paymentCode?: string
    /** The debtor's IIN as its blind index (served by debts_iin). */
    iinIndex?: string
    /** The creditor's record, a uuid (served by debts_creditor). */
    creditorId?: string
    status?: DebtRow['status']
    limit: number
    startingAfter: string | null
  }
): Promise<DebtRow[]> {
  let query = withOutstanding(db).orderBy('id', 'asc').limit(filter.limit + 1)
  if (filter.contractNumberNormalized !== undefined) query = query.where('contract_number_normalized', '=', filter.contractNumberNormalized)
  if (filter.paymentCode !== undefined) query = query.where('payment_code', '=', filter.paymentCode)
  if (filter.iinIndex !== undefined) query = query.where('debtor_iin_index', '=', filter.iinIndex)
  if (filter.creditorId !== undefined) query = query.where('creditor_id', '=', filter.creditorId)
  if (filter.status !== undefined) query = query.where('status', '=', filter.status)
  if (filter.startingAfter !== null) query = query.where('id', '>', filter.startingAfter)
  return await query.execute()
}

/**
 * Debts of these creditors (`null`: every creditor), with their outstanding amounts: the partner API's and
 * debt.closed's reading.
 */
export async function listCreditorDebts (
  db: Handle,
  creditors: string[] | null,
  filter: {
    ids?: string[]
    contractNumberNormalized?: string
    status?: DebtRow['status']
    limit: number
    startingAfter: string | null
  }
): Promise<DebtRow[]> {
  let query = withOutstanding(db).orderBy('id', 'asc').limit(filter.limit + 1)
  if (creditors !== null) query = query.where('creditor_id', 'in', creditors.length > 0 ? creditors : [NO_ID])
  if (filter.ids !== undefined) query = query.where('id', 'in', filter.ids.length > 0 ? filter.ids : ['00000000-0000-0000-0000-000000000000'])
  if (filter.contractNumberNormalized !== undefined) query = query.where('contract_number_normalized', '=', filter.contractNumberNormalized)
  if (filter.status !== undefined) query = query.where('status', '=', filter.status)
  if (filter.startingAfter !== null) query = query.where('id', '>', filter.startingAfter)
  return await query.execute()
}

/** What a payment shows of its debt (contract, creditor, payment code), for each of these debts. */
export async function debtFactsOf (db: Handle, ids: string[]): Promise<Map<string, DebtFacts>> {
  if (ids.length === 0) return new Map()
  const rows = await db.selectFrom('debts').select(['id', 'contract_number', 'creditor', 'creditor_id', 'payment_code'])
    .where('id', 'in', ids).execute()
  return new Map(rows.map((row) => [row.id, {
    contract_number: row.contract_number,
    creditor: row.creditor,
    creditor_id: row.creditor_id,
    payment_code: row.payment_code
  }]))
}

const NO_ID = '00000000-0000-0000-0000-000000000000'

/**
 * Whether the debt behind `debtId` is one of these creditors' (ids): a condition another module's query may hold.
 */
export function debtOfCreditorsSql (debtId: Expression<string>, creditors: string[]): RawBuilder<boolean> {
  return sql<boolean>`${debtId} in (select d.id from debts d where d.creditor_id = any(${creditors}::uuid[]))`
}

/** What a search may ask of a payment's debt (DESIGN 20): each given member must hold (AND). */
export interface DebtMatch { iinIndex?: string, paymentCode?: string, creditorId?: string }

/**
 * Whether the debt behind `debtId` matches: a condition another module's query may hold. The debts are found
 * through debts_iin, debts_payment_code or debts_creditor, their payments through payments_debt.
 */
export function debtMatchingSql (debtId: Expression<string>, match: DebtMatch): RawBuilder<boolean> {
  const conditions = [
    ...(match.iinIndex === undefined ? [] : [sql`d.debtor_iin_index = ${match.iinIndex}`]),
    ...(match.paymentCode === undefined ? [] : [sql`d.payment_code = ${match.paymentCode}`]),
    ...(match.creditorId === undefined ? [] : [sql`d.creditor_id = ${match.creditorId}::uuid`])
  ]
  if (conditions.length === 0) return sql<boolean>`true`
  return sql<boolean>`${debtId} in (select d.id from debts d where ${sql.join(conditions, sql` and `)})`
}

/** The debtor's name (encrypted), for the initials an event shows when it is read. */
export async function debtorNameOf (db: Handle, debtId: string): Promise<string | undefined> {
  const row = await db.selectFrom('debts').select('debtor_name_encrypted as name').where('id', '=', debtId).executeTakeFirst()
  return row?.name
}

export async function setDebtStatus (db: Handle, id: string, status: DebtRow['status']): Promise<void> {
  await db.updateTable('debts').set({ status, updated_at: new Date() }).where('id', '=', id).execute()
}

// --- imports ---------------------------------------------------------------

export async function insertImport (
  db: Handle, row: { id: string, file_name: string | null, file_bytes: bigint, created_by_key_id: string | null }
): Promise<void> {
  await db.insertInto('debt_imports').values(row).execute()
}

export async function findImport (db: Handle, id: string): Promise<DebtImportRow | undefined> {
  return await db.selectFrom('debt_imports').selectAll().where('id', '=', id).executeTakeFirst()
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
 * Every row of the file is either counted as processed or still staged; a
 * database crash empties the unlogged staging table, and then rows are
 * missing. Returns how many.
 */
export async function missingStagedRows (db: Handle, importId: string): Promise<number> {
  const result = await sql<{ missing: number }>`
    select (i.rows_total - i.rows_imported - i.rows_unchanged - i.rows_adjusted - (select count(*) from debt_import_rows r where r.import_id = i.id))::int as missing
      from debt_imports i where i.id = ${importId}`.execute(db)
  return result.rows[0]?.missing ?? 0
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
       set contract_number = null, contract_number_normalized = null, debtor_iin_index = null, debtor_iin_encrypted = null,
           debtor_name_encrypted = null, creditor = null, claim_amount = null, source_hash = null,
           error_code = 'duplicate_in_file', error_column = 'contract_number',
           error_message = 'the same contract number and IIN appear on line ' || d.first_line
      from (select line, first_value(line) over (partition by contract_number_normalized, debtor_iin_index order by line) as first_line
              from debt_import_rows
             where import_id = ${importId} and error_code is null) d
     where r.import_id = ${importId} and r.line = d.line and d.line > d.first_line`.execute(db)
}

/** A batch of valid staged rows: a range of lines of one import, and how many valid rows it holds. */
export interface StagedBatch {
  importId: string
  fromLine: number
  toLine: number
  rows: number
  /** Each creditor name of the import's rows, as written, to its creditor's id (set before the batches run). */
  creditorIds: Record<string, string>
}

/**
 * The valid rows still staged, cut by line into batches of at most `size` rows, in line order (one pass over the
 * import's rows).
 */
export async function stagedBatches (db: Handle, importId: string, size: number): Promise<StagedBatch[]> {
  const result = await sql<{ from_line: number, to_line: number, rows: number }>`
    select min(line) as from_line, max(line) as to_line, count(*)::int as rows
      from (select line, (row_number() over (order by line) - 1) / ${size} as batch
              from debt_import_rows where import_id = ${importId} and error_code is null) b
     group by batch order by batch`.execute(db)
  return result.rows.map((r) => ({ importId, fromLine: r.from_line, toLine: r.to_line, rows: r.rows, creditorIds: {} }))
}

/**
 * For the rest of the batch's transaction, joins are key lookups: the batch
 * is 50,000 rows, the debts and ledger tables millions, and a hash or merge
 * join would read a whole table for every batch (the cost of a portfolio
 * growing with the square of its size). Index lookups make each batch cost
 * the same, the first and the twentieth, and so do the ledger triggers'
 * joins of the batch's lines.
 */
export async function planBatchAsKeyLookups (db: Handle): Promise<void> {
  await sql`set local enable_hashjoin = off`.execute(db)
  await sql`set local enable_mergejoin = off`.execute(db)
  // the batch's sorts, groupings and the ledger triggers' transition tables
  // (a batch's new lines) fit in memory instead of spilling to temporary files
  await sql`set local work_mem = '64MB'`.execute(db)
  // every statement of the batch planned for its own values under the settings above, never from a generic plan a
  // prepared statement (db/database.ts) cached elsewhere
  await sql`set local plan_cache_mode = force_custom_plan`.execute(db)
}

/** The batch's valid staged rows, a condition on `debt_import_rows s`. */
function inBatch (batch: StagedBatch): RawBuilder<unknown> {
  return sql`s.import_id = ${batch.importId} and s.line between ${batch.fromLine} and ${batch.toLine} and s.error_code is null`
}
/** The creditor id of the staged row's name: a key lookup in the batch's map, no join. */
function stagedCreditorId (batch: StagedBatch): RawBuilder<string> {
  return sql<string>`(${JSON.stringify(batch.creditorIds)}::jsonb ->> s.creditor)::uuid`
}
const SAME_KEY = sql`d.contract_number_normalized = s.contract_number_normalized and d.debtor_iin_index = s.debtor_iin_index`

export interface StagedChange {
  id: string, status: DebtRow['status'], claimChanged: boolean, creditorId: string, claimAmount: bigint
}

/**
 * The known debts this batch restates (another fingerprint), locked in id
 * order after the payments of those whose claim changes (lock order:
 * payments, debts, ledger; the payments lock theirs). Unchanged rows are not locked: nothing is written.
 */
export async function lockStagedChanges (
  db: Trx, batch: StagedBatch, payments: ClaimPayments
): Promise<StagedChange[]> {
  await payments.lockPaymentsOfSelectedDebts(db, sql`select d.id from debt_import_rows s join debts d on ${SAME_KEY}
    where ${inBatch(batch)} and d.source_hash <> s.source_hash and d.claim_amount <> s.claim_amount`)
  const result = await sql<{ id: string, status: DebtRow['status'], claim_changed: boolean, creditor_id: string, claim_amount: bigint }>`
    select d.id, d.status, d.claim_amount <> s.claim_amount as claim_changed, ${stagedCreditorId(batch)} as creditor_id,
           s.claim_amount
      from debt_import_rows s join debts d on ${SAME_KEY}
     where ${inBatch(batch)} and d.source_hash <> s.source_hash
     order by d.id for update of d`.execute(db)
  return result.rows.map((r) => ({
    id: r.id,
    status: r.status,
    claimChanged: r.claim_changed,
    creditorId: r.creditor_id,
    claimAmount: r.claim_amount
  }))
}

/** How many rows of the batch match no debt yet, and how many match one with the same fingerprint. */
export async function countStagedRows (db: Handle, batch: StagedBatch): Promise<{ fresh: number, unchanged: number }> {
  const result = await sql<{ fresh: number, unchanged: number }>`
    select count(*) filter (where d.id is null)::int as fresh, count(*) filter (where d.source_hash = s.source_hash)::int as unchanged
      from debt_import_rows s left join debts d on ${SAME_KEY}
     where ${inBatch(batch)}`.execute(db)
  return result.rows[0] ?? { fresh: 0, unchanged: 0 }
}

/** Every creditor of the import's valid staged rows. */
export async function importCreditors (db: Handle, importId: string): Promise<string[]> {
  const result = await sql<{ creditor: string }>`select distinct creditor from debt_import_rows where import_id = ${importId} and error_code is null`.execute(db)
  return result.rows.map((r) => r.creditor)
}

/** The creditor ids of the batch's rows. */
export async function stagedCreditors (db: Handle, batch: StagedBatch): Promise<string[]> {
  const result = await sql<{ creditor: string }>`select distinct s.creditor from debt_import_rows s where ${inBatch(batch)}`.execute(db)
  return result.rows.map((r) => creditorIdOf(batch, r.creditor))
}

function creditorIdOf (batch: StagedBatch, name: string): string {
  const id = batch.creditorIds[name]
  if (id === undefined) throw new Error('a staged creditor name was not resolved before the batch')
  return id
}

/** Records the creditors an import created (one transaction with their creation). */
export async function addCreditorsCreated (
  db: Handle, importId: string, created: Array<{ id: string, name: string }>
): Promise<void> {
  if (created.length === 0) return
  await db.updateTable('debt_imports')
    .set({ creditors_created: sql`creditors_created || ${JSON.stringify(created)}::jsonb` })
    .where('id', '=', importId).execute()
}

/**
 * The insert of the batch's new debts, as a statement yielding `debt_id,
 * creditor_id, amount` for the ledger to assign their claims in the same
 * statement. A key another import inserts meanwhile fails the statement
 * (unique violation: a plain insert, not the slower speculative one of ON
 * CONFLICT), and the batch is retried.
 */
export function insertStagedDebts (batch: StagedBatch): RawBuilder<unknown> {
  return sql`
    insert into debts (id, contract_number, contract_number_normalized, debtor_iin_encrypted, debtor_iin_index, debtor_name_encrypted,
                       creditor, creditor_id, currency, claim_amount, status, source_hash, import_id)
    select uuid_generate_v7(), s.contract_number, s.contract_number_normalized, s.debtor_iin_encrypted, s.debtor_iin_index, s.debtor_name_encrypted,
           s.creditor, ${stagedCreditorId(batch)}, 'KZT', s.claim_amount, case when s.claim_amount = 0 then 'closed' else 'active' end, s.source_hash, s.import_id
      from debt_import_rows s
     where ${inBatch(batch)} and not exists (select 1 from debts d where ${SAME_KEY})
     order by s.line
    returning id as debt_id, creditor_id, claim_amount as amount`
}

/** The creditor's statement of known debts: descriptive fields and the claim as stated, set-based. */
export async function updateStagedStatements (db: Handle, batch: StagedBatch): Promise<void> {
  await sql`
    update debts d set contract_number = s.contract_number, debtor_name_encrypted = s.debtor_name_encrypted, creditor = s.creditor,
           creditor_id = ${stagedCreditorId(batch)},
           claim_amount = s.claim_amount, source_hash = s.source_hash, import_id = s.import_id, updated_at = now()
      from debt_import_rows s
     where ${inBatch(batch)} and ${SAME_KEY} and d.source_hash <> s.source_hash`.execute(db)
}

/** The batch is done: its valid rows go, and the import counts them (one transaction with the batch's writes). */
export async function completeStagedBatch (
  db: Handle, batch: StagedBatch, counts: { imported: number, unchanged: number, adjusted: number }
): Promise<void> {
  await sql`delete from debt_import_rows s where ${inBatch(batch)}`.execute(db)
  await db.updateTable('debt_imports').set((eb) => ({
    rows_imported: eb('rows_imported', '+', counts.imported),
    rows_unchanged: eb('rows_unchanged', '+', counts.unchanged),
    rows_adjusted: eb('rows_adjusted', '+', counts.adjusted)
  })).where('id', '=', batch.importId).execute()
}

export type DebtInsert = Insertable<DebtsTable>
export type ExistingDebt = Pick<Selectable<DebtsTable>, 'id' | 'contract_number_normalized' | 'debtor_iin_index' | 'source_hash' | 'claim_amount' | 'creditor' | 'creditor_id' | 'status'>

/** Debts already known by these (contract, IIN) keys; with `lock`, locked in id order. */
export async function existingDebts (
  db: Handle, keys: Array<{ contract_number_normalized: string, debtor_iin_index: string }>, lock: boolean
): Promise<ExistingDebt[]> {
  if (keys.length === 0) return []
  let query = db.selectFrom('debts').select(['id', 'contract_number_normalized', 'debtor_iin_index', 'source_hash', 'claim_amount', 'creditor', 'creditor_id', 'status'])
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
           creditor_id = v.creditor_id::uuid,
           currency = v.currency, claim_amount = v.claim_amount::bigint, source_hash = v.source_hash, import_id = v.import_id::uuid, updated_at = now()
      from (values ${sql.join(rows.map((r) => sql`(${r.id}::uuid, ${r.contract_number}, ${r.debtor_name_encrypted}, ${r.creditor}, ${r.creditor_id}, ${r.currency ?? 'KZT'}, ${r.claim_amount}, ${r.source_hash}, ${r.import_id ?? null})`))})
        as v (id, contract_number, debtor_name_encrypted, creditor, creditor_id, currency, claim_amount, source_hash, import_id)
     where d.id = v.id`.execute(db)
}

/** The rejected rows (all that is left staged) counted, the first 1000 errors kept, then the rows go. */
export async function finishImport (db: Handle, importId: string): Promise<void> {
  await sql`
    update debt_imports i set
      status = 'completed',
      finished_at = now(),
      rows_rejected = (select count(*)::int from debt_import_rows where import_id = ${importId} and error_code is not null),
      errors = coalesce((
        select jsonb_agg(jsonb_build_object('line', e.line, 'column', e.error_column, 'code', e.error_code, 'message', e.error_message) order by e.line)
          from (select * from debt_import_rows where import_id = ${importId} and error_code is not null order by line limit 1000) e
      ), '[]'::jsonb)
    where i.id = ${importId}`.execute(db)
  await db.deleteFrom('debt_import_rows').where('import_id', '=', importId).execute()
}

export async function failImport (db: Handle, importId: string, reason: string): Promise<void> {
  await db.updateTable('debt_imports').set({ status: 'failed', failure_reason: reason, finished_at: new Date() })
    .where('id', '=', importId).execute()
  await db.deleteFrom('debt_import_rows').where('import_id', '=', importId).execute()
}

export async function contractNumbersOf (db: Handle, debtIds: string[]): Promise<Map<string, string>> {
  if (debtIds.length === 0) return new Map()
  const rows = await db.selectFrom('debts').select(['id', 'contract_number']).where('id', 'in', debtIds).execute()
  return new Map(rows.map((r) => [r.id, r.contract_number]))
}

export async function debtIdsOfContract (db: Handle, contractNumberNormalized: string): Promise<string[]> {
  const rows = await db.selectFrom('debts').select('id').where('contract_number_normalized', '=', contractNumberNormalized).execute()
  return rows.map((row) => row.id)
}
