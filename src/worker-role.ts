import pg from 'pg'
import type { FastifyInstance } from 'fastify'
import type { Runner } from 'graphile-worker'
import type { Config } from './config.js'
import { guardPool, startWorker } from './jobs/worker.js'
import { endPool } from './db/database.js'
import { startLiveness } from './jobs/liveness.js'
import { CRONTAB, taskList } from './jobs/tasks.js'

/**
 * The `worker` role: graphile-worker on its own pool, so the HTTP pool
 * closing never pulls connections from under a running job.
 */
export interface Background {
  runner: Runner | null
  stop: () => Promise<void>
}

export async function startBackground (
  app: FastifyInstance, config: Config & { databaseUrl: string }
): Promise<Background> {
  if (config.role === 'api') return { runner: null, stop: async () => {} }
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 6, application_name: 'debt-payments-worker' })
  guardPool(pool, app.log)
  // heartbeats, and the sweep that hands a dead worker's jobs back within a minute
  const liveness = startLiveness(pool, app.log)
  // aborted when the stop begins: long jobs (an import, the reconciliation scan) stop at their next safe point
  const stopping = new AbortController()
  const runner = await startWorker({
    pool,
    log: app.log,
    taskList: taskList(app, stopping.signal),
    crontab: CRONTAB,
    events: liveness.events
  })
  return {
    runner,
    stop: async () => {
      stopping.abort()
      await runner.stop() // takes no new job; waits for the running ones
      await liveness.stop()
      await endPool(pool)
    }
  }
}
