import type { Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

/**
 * docs/architecture.md, operations, crash safety: graphile-worker frees the jobs of a
 * worker that died (kill -9, a lost machine) only after 4 hours. Each live
 * worker beats here every few seconds; any process sweeps the jobs locked
 * by a worker that stopped beating back into the queue within a minute.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.createTable('worker_heartbeats')
    .addColumn('worker_id', 'text', (c) => c.primaryKey())
    .addColumn('beat_at', 'timestamptz', (c) => c.notNull())
    .execute()
}
