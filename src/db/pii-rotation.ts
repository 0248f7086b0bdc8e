// PII key rotation (`npm run pii:rotate`, docs/operations.md#pii-key-rotation): every ciphertext under a previous key
// (PII_PREVIOUS_KEYS) is decrypted and encrypted again under the current one (PII_ENCRYPTION_KEY_ID). Each table is
// walked once in primary-key order (keyset: the next `batchSize` keys after the last one; a table without a
// single-column key in ranges of its heap blocks), each batch its own transaction, and a row's encrypted columns are
// rewritten together in one UPDATE. A row already under the current key is never written, so a run that stops
// anywhere (a crash, Ctrl-C, --max-batches) is resumed by running the command again, and a finished run run again
// changes nothing: no state is kept besides the key id in each ciphertext (lib/crypto.ts).
//
// After the walk every column is counted again: a value written under a previous key behind the walk (a process
// still on the old configuration, an erasure copying a ciphertext) is caught by another walk, at most MAX_PASSES in
// all; what is still there then is reported as left. A value that does not decrypt (corrupt, or under a key id not
// given) is counted and reported by row and left as it is; the walk goes on past it.
//
// This is maintenance of the whole schema, like the migrations, not a module's business: the columns are found by
// the naming convention every table follows (`…_encrypted`, text) in information_schema, plus the one sealed column
// named otherwise (the stored idempotent answers). Table names are computed, so the table-owner lint does not see
// them; each write is a plain UPDATE of a row's encrypted columns that fires the tables' own triggers, under the
// service's login (DATABASE_URL), which cannot disable them (a table whose UPDATE fires a row trigger gets batches of
// TRIGGER_BATCH_SIZE rows). Tables the triggers keep append-only hold no encrypted column (audit log: migration
// 0017); should one ever gain one, the run refuses to start rather than fight the trigger.
import { sql, type RawBuilder } from 'kysely'
import { createPiiCipher, PiiDecryptionError, type PiiKeys } from '../lib/crypto.js'
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

/** Walks of the schema at most: the first, and up to two more for values written behind it under a previous key. */
export const MAX_PASSES = 3

/**
 * Rows per transaction in a table whose UPDATE fires a row trigger (refunds: refunds_within_payment, migration 0007,
 * locks the refund's payment FOR UPDATE): a batch there holds those locks, so it is kept small.
 */
export const TRIGGER_BATCH_SIZE = 50

/** How a table is walked: its encrypted columns, its key (null: heap block ranges) and its batch size. */
export interface TablePlan {
  table: string
  columns: string[]
  /** The single-column primary key and its SQL type; null when there is none (a composite key): walked by ctid. */
  key: { column: string, type: string } | null
  /** The primary key's columns, to name a row in a report. */
  label: string[]
  batchSize: number
}

export interface RotationProgress {
  table: string
  /** Values re-encrypted in this table so far in this pass, and how many were under a previous key at its start. */
  done: number
  total: number
  pass: number
}

/** A value under a previous key that did not decrypt: left as it is. */
export interface UnreadableValue extends EncryptedColumn {
  /** The row's primary key (`(a,b)` for a composite one; its ctid when the table has none). */
  row: string
  error: string
}

export interface ColumnReport extends EncryptedColumn {
  /** Values re-encrypted in this run. */
  rotated: number
  /** Values still under a previous key after the last pass (the unreadable ones among them). */
  left: number
  /** Values under a previous key that did not decrypt (see `unreadable`). */
  unreadable: number
  /** Ciphertexts under a key id this run was not given: left as they are (and unreadable by the service). */
  unknownKey: number
}

export interface RotationReport {
  columns: ColumnReport[]
  /** Values re-encrypted in this run, every column. */
  rotated: number
  /** Walks of the schema done (a walk covers only the tables with something left). */
  passes: number
  unreadable: UnreadableValue[]
  /** False when --max-batches stopped the run: run it again to continue. */
  complete: boolean
  /** Complete, and nothing under a previous key or an unknown key id is left: the old key may be removed. */
  clean: boolean
}

export interface RotationOptions {
  batchSize?: number
  /** Stop after this many batches that wrote rows (then `complete` is false); the next run continues. */
  maxBatches?: number
  /** After each batch that wrote rows; the run waits for a promise it returns. */
  onProgress?: (progress: RotationProgress) => void | Promise<void>
}

/** The part of `v1.<keyId>.…` that names the key, in SQL. */
const keyIdOf = (column: string) => sql`split_part(${sql.ref(column)}, '.', 2)`
const isCiphertext = (column: string) => sql`split_part(${sql.ref(column)}, '.', 1) = 'v1'`
const underAny = (column: string, keyIds: string[]) =>
  sql`(${isCiphertext(column)} and ${keyIdOf(column)} = any(${keyIds}::text[]))`
const underNone = (column: string, keyIds: string[]) =>
  sql`(${isCiphertext(column)} and ${keyIdOf(column)} <> all(${keyIds}::text[]))`

/** How each table holding an encrypted column is walked (its primary key from the catalog, its triggers). */
export async function rotationPlans (
  db: Database, columns: EncryptedColumn[], batchSize = 500
): Promise<TablePlan[]> {
  const tables = [...new Set(columns.map((c) => c.table))]
  const keys = await sql<{ table: string, column: string, type: string }>`
    select c.relname as "table", a.attname as "column", format_type(a.atttypid, a.atttypmod) as type
    from pg_index i
    join pg_class c on c.oid = i.indrelid
    join pg_namespace n on n.oid = c.relnamespace and n.nspname = current_schema()
    join lateral unnest(i.indkey) with ordinality as k(attnum, position) on true
    join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum
    where i.indisprimary and c.relname = any(${tables}::text[])
    order by c.relname, k.position`.execute(db)
  // a row trigger on UPDATE (tgtype: ROW = 1, UPDATE = 16) that is not a constraint's
  const triggered = await sql<{ table: string }>`
    select distinct c.relname as "table" from pg_trigger g
    join pg_class c on c.oid = g.tgrelid
    join pg_namespace n on n.oid = c.relnamespace and n.nspname = current_schema()
    where not g.tgisinternal and g.tgtype & 1 = 1 and g.tgtype & 16 = 16 and c.relname = any(${tables}::text[])`
    .execute(db)
  return tables.map((table) => {
    const pk = keys.rows.filter((k) => k.table === table)
    const single = pk.length === 1 ? pk[0] as { column: string, type: string } : null
    return {
      table,
      columns: columns.filter((c) => c.table === table).map((c) => c.column),
      key: single === null ? null : { column: single.column, type: single.type },
      label: pk.map((k) => k.column),
      batchSize: triggered.rows.some((t) => t.table === table) ? Math.min(batchSize, TRIGGER_BATCH_SIZE) : batchSize
    }
  })
}

interface ColumnCount { previous: number, unknown: number }

/** Per column of the table: values under a previous key, and ciphertexts under a key id not given. */
async function countTable (
  db: Database, plan: TablePlan, previous: string[], known: string[]
): Promise<Map<string, ColumnCount>> {
  const counted = await sql<Record<string, string>>`select ${sql.join(plan.columns.flatMap((c, i) => [
    sql`count(*) filter (where ${underAny(c, previous)}) as ${sql.ref(`p${i}`)}`,
    sql`count(*) filter (where ${underNone(c, known)}) as ${sql.ref(`u${i}`)}`
  ]))} from ${sql.table(plan.table)}`.execute(db)
  const row = counted.rows[0] ?? {}
  return new Map(plan.columns.map((c, i) =>
    [c, { previous: Number(row[`p${i}`] ?? 0), unknown: Number(row[`u${i}`] ?? 0) }]))
}

interface Batch {
  /** Where the next batch starts: the last key covered, or the next heap block; null when the table is done. */
  next: string | null
  rows: number
  values: number
}

/**
 * Re-encrypt every ciphertext under a previous key with the current key. `keys` are the process's: the current key
 * and the previous ones it must still read (PII_PREVIOUS_KEYS).
 */
export async function rotatePiiKeys (
  db: Database, keys: PiiKeys, options: RotationOptions = {}
): Promise<RotationReport> {
  const pii = createPiiCipher(keys)
  const previous = [...keys.encryptionKeys.keys()].filter((id) => id !== keys.currentKeyId)
  const known = [keys.currentKeyId, ...previous]
  const columns = await encryptedColumns(db)
  const frozen = columns.filter((c) => APPEND_ONLY_TABLES.includes(c.table))
  if (frozen.length > 0) {
    throw new Error(`encrypted columns in append-only tables: ${frozen.map((c) => `${c.table}.${c.column}`).join(', ')}`)
  }
  const plans = await rotationPlans(db, columns, options.batchSize ?? 500)
  const name = (table: string, column: string) => `${table}.${column}`
  const rotated = new Map(columns.map((c) => [name(c.table, c.column), 0]))
  const unreadable = new Map<string, UnreadableValue>()
  let batches = 0
  let complete = true

  /** One batch of `plan` from `from`: lock the rows with a value under a previous key, rewrite them in one UPDATE. */
  const batch = async (plan: TablePlan, from: string | null): Promise<Batch> =>
    await db.transaction().execute(async (trx): Promise<Batch> => {
      let range: RawBuilder<unknown>
      let next: string | null
      if (plan.key === null) {
        // heap blocks [from, from + n): the rows a batch holds, about (pg_class's tuples per page)
        const size = await sql<{ blocks: string, per: string }>`select
            pg_relation_size(${plan.table}::regclass) / current_setting('block_size')::int as blocks,
            case when relpages > 0 and reltuples > 0 then reltuples / relpages else 50 end as per
          from pg_class where oid = ${plan.table}::regclass`.execute(trx)
        const first = Number(from ?? 0)
        if (first >= Number(size.rows[0]?.blocks ?? 0)) return { next: null, rows: 0, values: 0 }
        const last = first + Math.max(1, Math.floor(plan.batchSize / Math.max(1, Number(size.rows[0]?.per ?? 1))))
        range = sql`ctid >= ${`(${first},0)`}::tid and ctid < ${`(${last},0)`}::tid`
        next = String(last)
      } else {
        const key = sql.ref(plan.key.column)
        const type = sql.raw(plan.key.type)
        const after = from === null ? sql`true` : sql`${key} > ${from}::${type}`
        const bound = await sql<{ k: string }>`select ${key}::text as k from ${sql.table(plan.table)} where ${after}
          order by ${key} offset ${plan.batchSize - 1} limit 1`.execute(trx)
        next = bound.rows[0]?.k ?? null
        range = next === null ? after : sql`${after} and ${key} <= ${next}::${type}`
      }
      const id = plan.key === null ? sql`ctid` : sql.ref(plan.key.column)
      const label = plan.label.length === 0
        ? sql`ctid::text`
        : plan.label.length === 1 ? sql`${sql.ref(plan.label[0] as string)}::text` : sql`row(${sql.join(plan.label.map((c) => sql.ref(c)))})::text`
      const rows = await sql<Record<string, string | null>>`select ${id}::text as "key", ${label} as "label",
          ${sql.join(plan.columns.map((c, i) => sql`${sql.ref(c)} as ${sql.ref(`v${i}`)}`))}
        from ${sql.table(plan.table)}
        where ${range} and (${sql.join(plan.columns.map((c) => underAny(c, previous)), sql` or `)})
        for no key update`.execute(trx)
      const changes: Array<{ key: string, values: Array<string | null> }> = []
      let values = 0
      for (const row of rows.rows) {
        const fresh = plan.columns.map((column, i) => {
          const value = row[`v${i}`] ?? null
          if (value === null || !previous.includes(value.split('.')[1] ?? '') || !value.startsWith('v1.')) return null
          try {
            return pii.encrypt(pii.decrypt(value))
          } catch (error) {
            if (!(error instanceof PiiDecryptionError)) throw error
            const where = { table: plan.table, column, row: row.label as string, error: error.message }
            unreadable.set(`${plan.table}.${column} ${where.row}`, where)
            return null
          }
        })
        if (fresh.every((v) => v === null)) continue
        changes.push({ key: row.key as string, values: fresh })
        fresh.forEach((v, i) => {
          if (v === null) return
          const column = name(plan.table, plan.columns[i] as string)
          rotated.set(column, (rotated.get(column) ?? 0) + 1)
          values++
        })
      }
      if (changes.length > 0) {
        const keysOf = changes.map((c) => c.key)
        const type = sql.raw(plan.key?.type ?? 'tid')
        await sql`update ${sql.table(plan.table)} as t
          set ${sql.join(plan.columns.map((c, i) => sql`${sql.ref(c)} = coalesce(${sql.ref(`v.v${i}`)}, t.${sql.ref(c)})`))}
          from unnest(${keysOf}::text[],
            ${sql.join(plan.columns.map((_, i) => sql`${changes.map((c) => c.values[i] ?? null)}::text[]`))})
            as v(key, ${sql.join(plan.columns.map((_, i) => sql.ref(`v${i}`)))})
          where t.${id} = v.key::${type} and t.${id} = any(${keysOf}::${type}[])`.execute(trx)
      }
      return { next, rows: changes.length, values }
    })

  const counts = new Map<string, ColumnCount>()
  const countAll = async (tables: TablePlan[]) => {
    for (const plan of tables) {
      for (const [column, n] of await countTable(db, plan, previous, known)) counts.set(name(plan.table, column), n)
    }
  }
  const unreadableIn = (table: string, column: string) =>
    [...unreadable.values()].filter((u) => u.table === table && u.column === column).length
  // a table is walked again while it holds a value under a previous key that has not failed to decrypt
  const pending = () => plans.filter((plan) => plan.columns.some((column) =>
    (counts.get(name(plan.table, column))?.previous ?? 0) > unreadableIn(plan.table, column)))

  await countAll(plans)
  let passes = 0
  for (let walk = pending(); walk.length > 0 && passes < MAX_PASSES && complete; walk = pending()) {
    passes++
    for (const plan of walk) {
      const total = plan.columns.reduce((n, c) => n + (counts.get(name(plan.table, c))?.previous ?? 0), 0)
      let done = 0
      let from: string | null = null
      for (;;) {
        if (options.maxBatches !== undefined && batches >= options.maxBatches) { complete = false; break }
        const step: Batch = await batch(plan, from)
        if (step.rows > 0) {
          batches++
          done += step.values
          await options.onProgress?.({ table: plan.table, done, total, pass: passes })
        }
        if (step.next === null) break
        from = step.next
      }
      if (!complete) break
    }
    await countAll(walk)
  }

  const report: RotationReport = {
    columns: columns.map(({ table, column }) => ({
      table,
      column,
      rotated: rotated.get(name(table, column)) ?? 0,
      left: counts.get(name(table, column))?.previous ?? 0,
      unreadable: unreadableIn(table, column),
      unknownKey: counts.get(name(table, column))?.unknown ?? 0
    })),
    rotated: [...rotated.values()].reduce((a, b) => a + b, 0),
    passes,
    unreadable: [...unreadable.values()],
    complete,
    clean: false
  }
  report.clean = complete && report.columns.every((c) => c.left === 0 && c.unknownKey === 0)
  return report
}
