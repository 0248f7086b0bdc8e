import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

/**
 * Lookup enumeration (docs/architecture.md, safe by default): wrong lookups counted per contract
 * number, so guessing a debtor's IIN costs time whatever addresses the
 * guesser uses. Keyed by an HMAC of the normalised contract number: no clear
 * value here. Shared by every API process; rows past `expires_at` no longer
 * matter and are purged.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.createTable('lookup_contract_failures')
    .addColumn('contract_key', 'text', (c) => c.primaryKey().check(sql`contract_key ~ '^[0-9a-f]{64}$'`))
    .addColumn('failures', 'integer', (c) => c.notNull().check(sql`failures >= 1`))
    .addColumn('window_started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('locked_until', 'timestamptz')
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('lookup_contract_failures_expires_at').on('lookup_contract_failures').column('expires_at').execute()
}
