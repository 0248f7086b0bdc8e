// Enqueues a graphile-worker job with plain SQL, inside the caller's
// transaction: the job exists exactly when the change that needs it commits.
// Jobs with the same `queueName` never run at the same time (across every
// worker process); a job waiting for its retry does not hold the queue.
// It lives in db, below every module, so a module queues its jobs without
// importing jobs/ (the worker and its task list: the top layer).
import { sql } from 'kysely'
import type { Kysely, Transaction } from 'kysely'

export async function enqueueJob (
  db: Kysely<any> | Transaction<any>,
  task: string,
  payload: Record<string, unknown>,
  options: { maxAttempts?: number, runAt?: Date, jobKey?: string, queueName?: string } = {}
): Promise<void> {
  // A named queue that exists is held (key share) until the job is committed, so that collectIdleQueues never removes
  // it between add_job finding it and the job being seen: add_job neither locks the queue row nor references it by a
  // foreign key, and a job whose queue went would never be fetched. One that does not exist add_job creates, unseen
  // by the collector until it commits with its job.
  if (options.queueName !== undefined) {
    await sql`select 1 from graphile_worker._private_job_queues where queue_name = ${options.queueName} for key share`
      .execute(db)
  }
  await sql`select graphile_worker.add_job(
    ${task},
    ${JSON.stringify(payload)}::json,
    queue_name := ${options.queueName ?? null}::text,
    max_attempts := ${options.maxAttempts ?? 10},
    run_at := ${options.runAt ?? null}::timestamptz,
    job_key := ${options.jobKey ?? null}
  )`.execute(db)
}

/**
 * Thrown by a long job that stopped at a safe point (between two committed
 * batches) because the process is shutting down. graphile-worker puts the
 * job back with its usual backoff, and it resumes where it stopped.
 */
export class JobInterrupted extends Error {
  constructor (what: string) {
    super(`${what} stopped for a shutdown; it resumes where it stopped`)
    this.name = 'JobInterrupted'
  }
}

/**
 * Removes the named queues no job needs any more (graphile-worker's GC_JOB_QUEUES, made safe to run beside
 * enqueueJob): an ordering queue per payment's refunds would otherwise stay forever, and every job fetch locks the
 * rows of the queues it may take from, so the fetch grew with history (DESIGN 24). In one transaction, two statements:
 * the first locks the idle queues no transaction holds (an enqueue holds its queue until it commits: skipped); the
 * second, on a snapshot taken after those locks, deletes the locked ones that hold no job. A job committed before the
 * lock is seen by the second statement; an enqueue that comes after it waits for the collector, finds its queue gone
 * and makes it again. Returns how many went.
 */
export async function collectIdleQueues (db: Kysely<any>): Promise<number> {
  const collect = async (trx: Kysely<any>): Promise<number> => {
    const { rows } = await sql<{ id: number }>`
      select id from graphile_worker._private_job_queues where locked_at is null for update skip locked`.execute(trx)
    if (rows.length === 0) return 0
    const result = await sql`
      delete from graphile_worker._private_job_queues queues
       where queues.id = any(${rows.map((row) => row.id)}::int[])
         and queues.locked_at is null
         and not exists (select 1 from graphile_worker._private_jobs jobs where jobs.job_queue_id = queues.id)`
      .execute(trx)
    return Number(result.numAffectedRows ?? 0n)
  }
  return db.isTransaction ? await collect(db) : await db.transaction().execute(collect)
}
