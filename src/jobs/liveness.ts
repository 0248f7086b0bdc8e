// Crash recovery for graphile-worker (docs/architecture.md, operations). graphile-worker
// records which worker holds a job (`locked_by`) but frees a dead worker's
// jobs only after 4 hours. So every worker of this process beats in
// `worker_heartbeats` every HEARTBEAT_MS, and every process sweeps every
// SWEEP_MS: jobs locked longer than DEAD_AFTER_SECONDS by a worker with no
// recent beat are handed back with graphile-worker's own supported call,
// `force_unlock_workers`, and run again by whoever is alive. A job keeps
// the attempt it used; our jobs are idempotent (an import resumes from its
// last committed batch). Worst case to recovery: DEAD_AFTER + SWEEP, under
// a minute.
import { EventEmitter } from 'node:events'
import type pg from 'pg'
import type { FastifyBaseLogger } from 'fastify'
import type { WorkerEvents } from 'graphile-worker'
import { connectionFailure } from '../db/database.js'

export const HEARTBEAT_MS = 5_000
export const SWEEP_MS = 10_000
export const DEAD_AFTER_SECONDS = 30

export interface Liveness {
  /** Give to graphile-worker's run() so the ids of its worker pools (what locks a job) are known. */
  events: WorkerEvents
  /** One sweep now (tests; the timer runs it on its own). Returns the ids unlocked. */
  sweep: () => Promise<string[]>
  stop: () => Promise<void>
}

export function startLiveness (pool: pg.Pool, log: FastifyBaseLogger): Liveness {
  const events = new EventEmitter() as unknown as WorkerEvents
  const mine = new Set<string>()
  // A job's locked_by is its worker pool's id (graphile-worker 0.17 getJob(workerPool.id)), not a worker's.
  events.on('pool:create', ({ workerPool }) => { mine.add(workerPool.id) })
  events.on('pool:release', ({ workerPool }) => { mine.delete(workerPool.id) })

  async function beat (): Promise<void> {
    if (mine.size === 0) return
    await pool.query(`insert into worker_heartbeats (worker_id, beat_at) select unnest($1::text[]), now()
      on conflict (worker_id) do update set beat_at = excluded.beat_at`, [[...mine]])
  }

  async function sweep (): Promise<string[]> {
    const dead = await pool.query<{ worker_id: string }>(`
      select distinct locked_by as worker_id from graphile_worker._private_jobs j
      where j.locked_by is not null and j.locked_at < now() - make_interval(secs => $1)
        and not (j.locked_by = any($2::text[]))
        and not exists (select 1 from worker_heartbeats h where h.worker_id = j.locked_by and h.beat_at > now() - make_interval(secs => $1))
      union
      select distinct locked_by from graphile_worker._private_job_queues q
      where q.locked_by is not null and q.locked_at < now() - make_interval(secs => $1)
        and not (q.locked_by = any($2::text[]))
        and not exists (select 1 from worker_heartbeats h where h.worker_id = q.locked_by and h.beat_at > now() - make_interval(secs => $1))`,
    [DEAD_AFTER_SECONDS, [...mine]])
    const ids = dead.rows.map((r) => r.worker_id)
    if (ids.length > 0) {
      await pool.query('select graphile_worker.force_unlock_workers($1::text[])', [ids])
      log.warn({ workers: ids }, 'jobs of workers that stopped beating were put back in the queue')
    }
    await pool.query('delete from worker_heartbeats where beat_at < now() - make_interval(secs => $1 * 10)', [DEAD_AFTER_SECONDS])
    return ids
  }

  // A failed beat or sweep (the database away) is retried at the next tick; it never throws out of a timer.
  const guarded = (what: string, run: () => Promise<unknown>) => () => {
    run().catch((error: unknown) => { log.warn({ cause: connectionFailure(error as Error) }, `worker ${what} failed; retried at the next tick`) })
  }
  const beating = setInterval(guarded('heartbeat', beat), HEARTBEAT_MS)
  const sweeping = setInterval(guarded('sweep of dead workers', sweep), SWEEP_MS)
  beating.unref()
  sweeping.unref()
  // the first beat as soon as the workers exist
  events.on('pool:listen:success', guarded('heartbeat', beat))

  return {
    events,
    sweep,
    stop: async () => {
      clearInterval(beating)
      clearInterval(sweeping)
      // a clean stop frees its own jobs (graphile-worker does) and its beats
      if (mine.size > 0) await pool.query('delete from worker_heartbeats where worker_id = any($1::text[])', [[...mine]]).catch(() => {})
    }
  }
}
