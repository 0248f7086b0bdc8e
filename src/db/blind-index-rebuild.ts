// Blind-index rebuild (`npm run pii:rotate -- --rebuild-indexes`, docs/operations.md#pii-key-rotation): every blind
// index whose plaintext the database keeps encrypted (in its row, or in the acceptance or debt the row belongs to) is
// computed again under the current index key (PII_INDEX_KEY) and written where it differs, a batch of rows at a time
// in primary-key order, each batch in its own transaction.
//
// A stored value is rewritten only when it is proven stale: it equals the HMAC of its plaintext under the previous
// index key (PII_PREVIOUS_INDEX_KEY), or it is a missing index this run fills (`payments.phone_index`, migration
// 0038: only payments made after it have one). A value already equal to the current HMAC is skipped, so a run
// stopped anywhere is resumed by running it again and a finished run changes nothing; any other value (an erasure's
// tombstone `erased:…`, a debt whose portfolio fingerprint no longer matches its row) is left as it is and counted.
// An erased plaintext ('[erased]') is never indexed.
//
// Indexes with no plaintext kept are not touched (their fate is documented in docs/operations.md): IP indexes of
// payments and refusals, the lookup-failure counters, privacy requests' IIN index and one-time code hash, the email
// index of an expired privacy request. They match nothing under the new key.
//
// Like the re-encryption (db/pii-rotation.ts) this is maintenance of the whole schema, not a module's business: the
// tables are named in the recipes below and reached through `sql.table`, and every write is a plain UPDATE of index
// columns under the service's login.
import { sql, type RawBuilder } from 'kysely'
import { createPiiCipher, type PiiCipher, type PiiKeys } from '../lib/crypto.js'
import { debtRowSourceHash, emailIndex, iinIndex, ipIndex, phoneIndex } from '../lib/blind-index.js'
import { ERASED } from '../lib/erasure.js'
import type { Database } from './database.js'

/** How to compute one index column of a row; null when there is nothing to index (no plaintext, or erased). */
type Recipe = (pii: PiiCipher, read: (ciphertext: string | null | undefined) => string | null) => string | null

interface SourceRow { key: string, [column: string]: string | null }

interface IndexTable {
  table: string
  /** The primary key (the staged rows, which have a composite one: their ctid), and its SQL type for the cursor. */
  key: { column: string, type: 'uuid' | 'bigint' | 'tid' }
  /** Selected beside the key and the index columns: the ciphertexts and plain facts the recipes read. */
  sources: (t: RawBuilder<unknown>) => RawBuilder<unknown>
  /** Joins to the rows that hold the plaintext (aliases `a`, `d`). */
  joins?: RawBuilder<unknown>
  indexes: Record<string, (row: SourceRow) => Recipe>
  /** Index columns filled when null (written for rows older than the column). */
  fill?: string[]
}

const T = {
  debts: 'debts',
  stagedRows: 'debt_import_rows',
  acceptances: 'acceptances',
  payments: 'payments',
  refusals: 'payment_refusals',
  privacy: 'privacy_requests',
  mail: 'mail_outbox'
} as const

const of = (make: (pii: PiiCipher, plain: string) => string, value: string | null | undefined): Recipe =>
  (pii, read) => { const plain = read(value); return plain === null ? null : make(pii, plain) }
const sourceHash = (row: SourceRow): Recipe => (pii, read) => {
  const iin = read(row.iin)
  const debtorName = read(row.name)
  const [contract, creditor, claim] = [row.contract ?? null, row.creditor ?? null, row.claim ?? null]
  if (iin === null || debtorName === null || contract === null || creditor === null || claim === null) return null
  return debtRowSourceHash(pii, { contractNumber: contract, iin, debtorName, creditor, claim })
}
const debtSources = (t: RawBuilder<unknown>) => sql`${t}.debtor_iin_encrypted as iin, ${t}.debtor_name_encrypted as name,
  ${t}.contract_number as contract, ${t}.creditor as creditor, ${t}.claim_amount::text as claim`

/** Every blind index with its plaintext in the database, in the order they are rebuilt. */
export const INDEX_TABLES: readonly IndexTable[] = [
  {
    table: T.debts,
    key: { column: 'id', type: 'uuid' },
    sources: debtSources,
    indexes: { debtor_iin_index: (r) => of(iinIndex, r.iin), source_hash: sourceHash }
  },
  // an import's staged rows: a queued import written after the restart indexes its debts like the rest
  {
    table: T.stagedRows,
    key: { column: 'ctid', type: 'tid' },
    sources: debtSources,
    indexes: { debtor_iin_index: (r) => of(iinIndex, r.iin), source_hash: sourceHash }
  },
  {
    table: T.acceptances,
    key: { column: 'id', type: 'uuid' },
    sources: (t) => sql`${t}.payer_email_encrypted as email, ${t}.ip_encrypted as ip`,
    indexes: { payer_email_index: (r) => of(emailIndex, r.email), ip_index: (r) => of(ipIndex, r.ip) }
  },
  {
    table: T.payments,
    key: { column: 'id', type: 'uuid' },
    sources: () => sql`a.payer_email_encrypted as email, a.payer_phone_encrypted as phone, d.debtor_iin_encrypted as iin`,
    joins: sql`left join ${sql.table(T.acceptances)} a on a.id = t.acceptance_id
      left join ${sql.table(T.debts)} d on d.id = t.debt_id and t.acceptance_id is not null`,
    indexes: {
      email_index: (r) => of(emailIndex, r.email),
      iin_index: (r) => of(iinIndex, r.iin),
      phone_index: (r) => of(phoneIndex, r.phone)
    },
    fill: ['phone_index']
  },
  {
    table: T.refusals,
    key: { column: 'id', type: 'bigint' },
    sources: () => sql`a.payer_email_encrypted as email, d.debtor_iin_encrypted as iin`,
    joins: sql`left join ${sql.table(T.acceptances)} a on a.id = t.acceptance_id
      left join ${sql.table(T.debts)} d on d.id = a.debt_id`,
    indexes: { email_index: (r) => of(emailIndex, r.email), iin_index: (r) => of(iinIndex, r.iin) }
  },
  {
    table: T.privacy,
    key: { column: 'id', type: 'uuid' },
    sources: (t) => sql`${t}.email_encrypted as email`,
    indexes: { email_index: (r) => of(emailIndex, r.email) }
  },
  {
    table: T.mail,
    key: { column: 'id', type: 'uuid' },
    sources: (t) => sql`${t}.recipient_encrypted as email`,
    indexes: { recipient_index: (r) => of(emailIndex, r.email) }
  }
]

export interface IndexColumnReport {
  table: string
  column: string
  /** Values equal to the HMAC under the previous key, rewritten under the current one. */
  rebuilt: number
  /** Missing values written (a `fill` column). */
  filled: number
  /** Values matching neither key (a fingerprint of other text than the row's, a key not given): left as they are. */
  unmatched: number
}

export interface RebuildReport {
  columns: IndexColumnReport[]
  /** Rows written in this run, every table. */
  rows: number
  /** False when --max-batches stopped the run: run it again to continue. */
  complete: boolean
}

interface BatchResult { last: string | null, scanned: number, written: number }

export interface RebuildProgress { table: string, scanned: number, written: number }

export interface RebuildOptions {
  /** The index key the stored values were written with; without it only missing indexes are filled. */
  previousIndexKey?: Buffer | null
  batchSize?: number
  /** Stop after this many batches that wrote something (then `complete` is false); the next run continues. */
  maxBatches?: number
  onProgress?: (progress: RebuildProgress) => void
}

/** The key of the table's rows as the cursor compares it; the cursor travels as text, cast back with keyCast. */
function keyExpression (table: IndexTable): RawBuilder<unknown> {
  return sql.ref(`t.${table.key.column}`)
}
function keyCast (table: IndexTable): RawBuilder<unknown> {
  return sql.raw(table.key.type)
}

/**
 * Recompute every blind index under `keys.indexKey`, writing those that verify under `previousIndexKey` (and the
 * missing ones a `fill` column lists). `keys` must read every ciphertext (the current and previous PII keys).
 */
export async function rebuildBlindIndexes (
  db: Database, keys: PiiKeys, options: RebuildOptions = {}
): Promise<RebuildReport> {
  const batchSize = options.batchSize ?? 500
  const current = createPiiCipher(keys)
  const previous = options.previousIndexKey === undefined || options.previousIndexKey === null
    ? null
    : createPiiCipher({ ...keys, indexKey: options.previousIndexKey })
  const read = (ciphertext: string | null | undefined): string | null => {
    if (ciphertext === null || ciphertext === undefined) return null
    const plain = current.decrypt(ciphertext)
    return plain === ERASED ? null : plain
  }
  const report: RebuildReport = { columns: [], rows: 0, complete: true }
  let batches = 0
  for (const table of INDEX_TABLES) {
    const columns = Object.keys(table.indexes)
    const counts = new Map(columns.map((column) =>
      [column, { table: table.table, column, rebuilt: 0, filled: 0, unmatched: 0 }]))
    let cursor: string | null = null
    let scanned = 0
    let written = 0
    for (;;) {
      if (options.maxBatches !== undefined && batches >= options.maxBatches) { report.complete = false; break }
      const after: string | null = cursor
      const batch = await db.transaction().execute(async (trx): Promise<BatchResult> => {
        const key = keyExpression(table)
        const rows = await sql<SourceRow>`select ${key}::text as key,
            ${sql.join(columns.map((c) => sql`t.${sql.ref(c)} as ${sql.ref(`current_${c}`)}`))}, ${table.sources(sql`t`)}
          from ${sql.table(table.table)} t ${table.joins ?? sql``}
          where ${after === null ? sql`true` : sql`${key} > ${after}::${keyCast(table)}`}
          order by ${key} limit ${batchSize} for no key update of t`.execute(trx)
        const changes: Array<{ key: string, values: Map<string, string> }> = []
        for (const row of rows.rows) {
          const values = new Map<string, string>()
          for (const column of columns) {
            const recipe = (table.indexes[column] as (row: SourceRow) => Recipe)(row)
            const fresh = recipe(current, read)
            const stored = row[`current_${column}`] ?? null
            // nothing to index, already current, or an erasure's tombstone (lib/erasure.ts)
            if (fresh === null || stored === fresh || stored?.startsWith('erased:') === true) continue
            const count = counts.get(column) as IndexColumnReport
            if (stored === null) {
              if (table.fill?.includes(column) === true) { values.set(column, fresh); count.filled++ }
            } else if (previous !== null && stored === recipe(previous, read)) {
              values.set(column, fresh)
              count.rebuilt++
            } else {
              count.unmatched++
            }
          }
          if (values.size > 0) changes.push({ key: row.key, values })
        }
        if (changes.length > 0) {
          // one statement per batch: a row's ctid (the staged rows' key) changes with its first update
          const names = columns.map((_, i) => `v${i}`)
          await sql`update ${sql.table(table.table)} as t
            set ${sql.join(columns.map((c, i) => sql`${sql.ref(c)} = coalesce(${sql.ref(`v.${names[i] as string}`)}, t.${sql.ref(c)})`))}
            from unnest(${changes.map((c) => c.key)}::text[],
              ${sql.join(columns.map((c) => sql`${changes.map((change) => change.values.get(c) ?? null)}::text[]`))})
              as v(key, ${sql.join(names.map((n) => sql.ref(n)))})
            where ${keyExpression(table)} = v.key::${keyCast(table)}`.execute(trx)
        }
        return { last: rows.rows.at(-1)?.key ?? null, scanned: rows.rows.length, written: changes.length }
      })
      if (batch.last === null) break
      cursor = batch.last
      scanned += batch.scanned
      written += batch.written
      if (batch.written > 0) batches++
      options.onProgress?.({ table: table.table, scanned, written })
      if (batch.scanned < batchSize) break
    }
    report.columns.push(...counts.values())
    report.rows += written
    if (!report.complete) break
  }
  return report
}
