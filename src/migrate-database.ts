import pg from 'pg'
import type { FastifyBaseLogger } from 'fastify'
import { createDatabase } from './db/database.js'
import { migrateToLatest } from './db/migrator.js'
import { grantJobQueue, guardPool, migrateJobQueue } from './jobs/worker.js'
import { SERVICE_ROLE } from './db/service-role.js'

/**
 * Schema migrations (ours, then the job queue's, and the service role's rights on the queue): at start and by
 * `npm run migrate`, as the owner of the tables (DESIGN 16).
 */
export async function migrateDatabase (databaseUrl: string, log: FastifyBaseLogger): Promise<string[]> {
  const handle = createDatabase(databaseUrl, { max: 2, prepared: false, onError: (err, where) => { log.warn({ err, where }, 'migration connection error') } })
  // graphile-worker on a plain pool of its own: our type parsers are not its
  const queuePool = new pg.Pool({ connectionString: databaseUrl, max: 1, application_name: 'debt-payments-migrate' })
  guardPool(queuePool, log)
  try {
    const result = await migrateToLatest(handle.db)
    const applied = (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
    await migrateJobQueue(queuePool, log)
    await grantJobQueue(queuePool, SERVICE_ROLE)
    return applied
  } finally {
    await handle.close()
    await queuePool.end()
  }
}
