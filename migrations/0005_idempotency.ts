import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

/**
 * Idempotency keys (docs/architecture.md, shared conventions): one row per (principal, key) with the
 * hash of the first request and, once it finished, its answer. Rows live 24 h;
 * the index serves the purge and the expiry checks.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.createTable('idempotency_keys')
    .addColumn('principal', 'text', (c) => c.notNull().check(sql`principal = 'public' or principal like 'key:%'`))
    .addColumn('key', 'text', (c) => c.notNull().check(sql`length(key) between 1 and 255`))
    .addColumn('request_hash', 'text', (c) => c.notNull().check(sql`request_hash ~ '^[0-9a-f]{64}$'`))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('in_flight', 'completed')`))
    .addColumn('response_status', 'integer', (c) => c.check(sql`response_status between 100 and 599`))
    .addColumn('response_body', 'text')
    .addColumn('response_content_type', 'text')
    .addColumn('locked_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pkey', ['principal', 'key'])
    // a finished request always has an answer to replay
    .addCheckConstraint('idempotency_keys_completed_has_response',
      sql`status <> 'completed' or (response_status is not null and response_body is not null)`)
    .addCheckConstraint('idempotency_keys_expiry_after_creation', sql`expires_at > created_at`)
    .execute()
  await db.schema.createIndex('idempotency_keys_expires_at').on('idempotency_keys').column('expires_at').execute()
}
