import { Logger, run, runMigrations, type Runner, type TaskList, type LogLevel, type WorkerEvents } from 'graphile-worker'
import type pg from 'pg'
import type { FastifyBaseLogger } from 'fastify'
import { connectionFailure, guardConnections } from '../db/database.js'
import { JobInterrupted } from './queue.js'

/**
 * Background jobs on Postgres itself (graphile-worker, SKIP LOCKED): no extra
 * broker, and any number of worker processes may run side by side.
 */
export function workerLogger (log: FastifyBaseLogger): Logger {
  return new Logger(() => (level: LogLevel, message: string, meta?: unknown) => {
    if ((meta as { error?: unknown } | undefined)?.error instanceof JobInterrupted) {
      log.info({ job: (meta as { job?: { id?: unknown, task_identifier?: unknown } }).job?.task_identifier }, ((meta as { error: Error }).error).message)
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
