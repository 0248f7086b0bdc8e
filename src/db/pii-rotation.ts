// PII key rotation (`npm run pii:rotate`, docs/operations.md#pii-key-rotation): every ciphertext under a previous key
// (PII_PREVIOUS_KEYS) is decrypted and encrypted again under the current one (PII_ENCRYPTION_KEY_ID), a batch at a
// time, each batch in its own transaction. A row already under the current key is never selected, so a run that
// stops anywhere (a crash, Ctrl-C, --max-batches) is resumed by running the command again, and a finished run run
// again changes nothing: no state is kept besides the key id in each ciphertext (lib/crypto.ts).
//
// This is maintenance of the whole schema, like the migrations, not a module's business: the columns are found by
// the naming convention every table follows (`…_encrypted`, text) in information_schema, plus the one sealed column
// named otherwise (the stored idempotent answers). Table names are computed, so the table-owner lint does not see
// them; each write is a plain UPDATE of one column that fires the tables' own triggers, under the service's login
// (DATABASE_URL), which cannot disable them. Tables the triggers keep append-only hold no encrypted column (audit
// log: migration 0017); should one ever gain one, the run refuses to start rather than fight the trigger.
import { sql } from 'kysely'
import { createPiiCipher, type PiiKeys } from '../lib/crypto.js'
import type { Database } from './database.js'

export interface EncryptedColumn { table: string, column: string }

/** Tables their triggers keep append-only (migrations 0001, 0012): rows there are never rewritten. */
export const APPEND_ONLY_TABLES: readonly string[] = ['audit_log', 'offers', 'ledger_entries', 'ledger_lines']

/** Sealed with the PII key although not named `…_encrypted`: answers kept for Idempotency-Key replays (24 h). */
const SEALED_COLUMNS: readonly EncryptedColumn[] = [{ table: 'idempotency_keys', column: 'response_body' }]

/** Every column of the schema that holds ciphertexts, in a stable order. */
export async function encryptedColumns (db: Database): Promise<EncryptedColumn[]> {
  const found = await sql<EncryptedColumn>`
    select c.table_name as "table", c.column_name as "column"
    from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'
      and c.column_name like '%\_encrypted' and c.data_type = 'text'`.execute(db)
  const sealed = await sql<EncryptedColumn>`
    select table_name as "table", column_name as "column" from information_schema.columns
    where table_schema = current_schema() and (table_name, column_name) in (
      select * from unnest(${SEALED_COLUMNS.map((c) => c.table)}::text[], ${SEALED_COLUMNS.map((c) => c.column)}::text[]))`
    .execute(db)
  return [...found.rows, ...sealed.rows]
    .sort((a, b) => a.table.localeCompare(b.table) || a.column.localeCompare(b.column))
}

export interface RotationProgress extends EncryptedColumn {
  /** Rows re-encrypted in this column so far in this run, and how many were under a previous key at its start. */
  done: number
  total: number
}

export interface ColumnReport extends EncryptedColumn {
  rotated: number
  /** Ciphertexts under a key id this run was not given: left as they are (and unreadable by the service). */
  unknownKey: number
}

export interface RotationReport {
  columns: ColumnReport[]
  /** Rows re-encrypted in this run, every column. */
  rotated: number
  /** False when --max-batches stopped the run: run it again to continue. */
  complete: boolean
}

export interface RotationOptions {
  batchSize?: number
  /** Stop after this many batches (then `complete` is false); the next run continues. */
  maxBatches?: number
  onProgress?: (progress: RotationProgress) => void
}

/** The part of `v1.<keyId>.…` that names the key, in SQL. */
const keyIdOf = (column: string) => sql`split_part(${sql.ref(column)}, '.', 2)`
const isCiphertext = (column: string) => sql`split_part(${sql.ref(column)}, '.', 1) = 'v1'`

/**
 * Re-encrypt every ciphertext under a previous key with the current key. `keys` are the process's: the current key
 * and the previous ones it must still read (PII_PREVIOUS_KEYS).
 */
export async function rotatePiiKeys (
  db: Database, keys: PiiKeys, options: RotationOptions = {}
): Promise<RotationReport> {
  const batchSize = options.batchSize ?? 500
  const pii = createPiiCipher(keys)
  const previous = [...keys.encryptionKeys.keys()].filter((id) => id !== keys.currentKeyId)
  const columns = await encryptedColumns(db)
  const frozen = columns.filter((c) => APPEND_ONLY_TABLES.includes(c.table))
  if (frozen.length > 0) {
    throw new Error(`encrypted columns in append-only tables: ${frozen.map((c) => `${c.table}.${c.column}`).join(', ')}`)
  }
  const report: RotationReport = { columns: [], rotated: 0, complete: true }
  let batches = 0
  for (const { table, column } of columns) {
    const counted = await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}
      where ${isCiphertext(column)} and ${keyIdOf(column)} = any(${previous}::text[])`.execute(db)
    const total = Number(counted.rows[0]?.n ?? 0)
    let done = 0
    while (total > 0) {
      if (options.maxBatches !== undefined && batches >= options.maxBatches) { report.complete = false; break }
      const rotated = await db.transaction().execute(async (trx) => {
        const rows = await sql<{ id: string, value: string }>`select ctid::text as id, ${sql.ref(column)} as value
          from ${sql.table(table)} where ${isCiphertext(column)} and ${keyIdOf(column)} = any(${previous}::text[])
          limit ${batchSize} for no key update`.execute(trx)
        if (rows.rows.length === 0) return 0
        const ids = rows.rows.map((r) => r.id)
        const values = rows.rows.map((r) => pii.encrypt(pii.decrypt(r.value)))
        await sql`update ${sql.table(table)} as t set ${sql.ref(column)} = v.value
          from unnest(${ids}::tid[], ${values}::text[]) as v(id, value) where t.ctid = v.id`.execute(trx)
        return rows.rows.length
      })
      if (rotated === 0) break
      batches++
      done += rotated
      options.onProgress?.({ table, column, done, total })
    }
    const unknown = await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}
      where ${isCiphertext(column)} and ${keyIdOf(column)} <> all(${[keys.currentKeyId, ...previous]}::text[])`
      .execute(db)
    report.columns.push({ table, column, rotated: done, unknownKey: Number(unknown.rows[0]?.n ?? 0) })
    report.rotated += done
    if (!report.complete) break
  }
  return report
}
