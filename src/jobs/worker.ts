import { Logger, run, runMigrations, type Runner, type TaskList, type LogLevel, type WorkerEvents } from 'graphile-worker'
import type pg from 'pg'
import type { FastifyBaseLogger } from 'fastify'
import { connectionFailure, guardConnections } from '../db/database.js'
import { JobInterrupted } from '../db/jobs.js'

/**
 * Background jobs on Postgres itself (graphile-worker, SKIP LOCKED): no extra
 * broker, and any number of worker processes may run side by side.
 */
export function workerLogger (log: FastifyBaseLogger): Logger {
  return new Logger(() => (level: LogLevel, message: string, meta?: unknown) => {
    if ((meta as { error?: unknown } | undefined)?.error instanceof JobInterrupted) {
      log.info(
        { job: (meta as { job?: { id?: unknown, task_identifier?: unknown } }).job?.task_identifier },
        ((meta as { error: Error }).error).message
      )
      return
    }
    const context = { worker: meta }
    if (level === 'error') log.error(context, message)
    else if (level === 'warning') log.warn(context, message)
    else if (level === 'info') log.debug(context, message) // per-job chatter; failures come as warning or error
    else log.debug(context, message)
  })
}

/** graphile-worker insists every pool handles errors on its clients too. */
export function guardPool (pool: pg.Pool, log: FastifyBaseLogger): void {
  guardConnections(pool, (err, where) => { log.warn({ cause: connectionFailure(err), where }, 'job-queue connection lost') })
}

/** Installs or upgrades graphile-worker's own schema (idempotent, locked). */
export async function migrateJobQueue (pool: pg.Pool, log: FastifyBaseLogger): Promise<void> {
  await runMigrations({ pgPool: pool, logger: workerLogger(log) })
}

const QUEUE_SCHEMA = 'graphile_worker'

/**
 * The service's role works the queue that the owner installed (DESIGN 16). graphile-worker keeps row-level security
 * on its tables with no policy, which hides every row from all but their owner: besides the grants, the role gets a
 * policy that shows it every row. Run after every migration of the queue (a new version may add tables); one
 * process at a time, so two api processes starting together do not both create a policy.
 */
export async function grantJobQueue (pool: pg.Pool, role: string): Promise<void> {
  const client = await pool.connect()
  const grantee = client.escapeIdentifier(role)
  const schema = client.escapeIdentifier(QUEUE_SCHEMA)
  try {
    await client.query('begin')
    await client.query('select pg_advisory_xact_lock(hashtext($1))', ['debt-payments:grant-job-queue'])
    await client.query(`grant usage on schema ${schema} to ${grantee}`)
    await client.query(`grant select, insert, update, delete on all tables in schema ${schema} to ${grantee}`)
    // its schema version: read at the worker's start, written by the migrations alone
    await client.query(`revoke insert, update, delete on ${schema}.migrations from ${grantee}`)
    await client.query(`grant usage, select on all sequences in schema ${schema} to ${grantee}`)
    await client.query(`grant execute on all functions in schema ${schema} to ${grantee}`)
    const policed = await client.query<{ name: string }>(`
      select format('%I.%I', n.nspname, c.relname) as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = $1 and c.relkind = 'r' and c.relrowsecurity
         and not exists (select 1 from pg_policy p where p.polrelid = c.oid and p.polname = $2)`, [QUEUE_SCHEMA, role])
    for (const { name } of policed.rows) {
      await client.query(`create policy ${grantee} on ${name} for all to ${grantee} using (true) with check (true)`)
    }
    await client.query('commit')
  } catch (error) {
    await client.query('rollback').catch(() => {})
    throw error
  } finally {
    client.release()
  }
}

export interface WorkerOptions {
  pool: pg.Pool
  log: FastifyBaseLogger
  taskList: TaskList
  crontab?: string
  concurrency?: number
  pollInterval?: number
  /** graphile-worker's events go here (liveness.ts learns its worker ids from them) */
  events?: WorkerEvents
}

export async function startWorker (options: WorkerOptions): Promise<Runner> {
  return await run({
    pgPool: options.pool,
    taskList: options.taskList,
    ...(options.crontab !== undefined && options.crontab !== '' ? { crontab: options.crontab } : { parsedCronItems: [] }),
    concurrency: options.concurrency ?? 4,
    pollInterval: options.pollInterval ?? 1000,
    noHandleSignals: true,
    logger: workerLogger(options.log),
    ...(options.events !== undefined ? { events: options.events } : {})
  })
}
