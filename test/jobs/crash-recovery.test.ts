import t from 'tap'
import pg from 'pg'
import { sql } from 'kysely'
import { createKey, createTestApp, eventually, startTestWorker } from '../helpers/app.js'
import { makeCsv, makeRow } from '../helpers/portfolio.js'
import { enqueueJob } from '../../src/db/jobs.js'
import { DEAD_AFTER_SECONDS, startLiveness } from '../../src/jobs/liveness.js'

/**
 * A worker killed with -9 leaves its jobs locked, and graphile-worker alone
 * would free them after 4 hours. With heartbeats, a job whose worker stopped
 * beating is back in the queue within a minute; a live worker's job is
 * never taken from it.
 */
const { app, config, databaseUrl } = await createTestApp(t)
const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 })
t.teardown(async () => { await pool.end() })

/** The state kill -9 leaves: the job locked by its worker, an attempt spent, the lock aging. */
async function lockedBy (workerId: string, task: string, lockedSecondsAgo: number): Promise<string> {
  await app.db.transaction().execute(async (trx) => { await enqueueJob(trx, task, {}, { jobKey: `${task}-${workerId}` }) })
  const row = await sql<{ id: string }>`update graphile_worker._private_jobs set locked_by = ${workerId}, locked_at = now() - make_interval(secs => ${lockedSecondsAgo}), attempts = 1
    where key = ${`${task}-${workerId}`} returning id::text`.execute(app.db)
  return row.rows[0]?.id as string
}

async function job (id: string): Promise<{ locked_by: string | null } | undefined> {
  return (await sql<{ locked_by: string | null }>`select locked_by from graphile_worker._private_jobs where id = ${id}::bigint`.execute(app.db)).rows[0]
}

t.test('the sweep frees a dead worker\'s job, never a live one\'s, nor a fresh lock', async (t) => {
  const liveness = startLiveness(pool, app.log)
  t.teardown(liveness.stop)
  const dead = await lockedBy('worker-killed-9', 'idempotency-purge', DEAD_AFTER_SECONDS + 60)
  const alive = await lockedBy('worker-still-beating', 'lookup-failures-purge', DEAD_AFTER_SECONDS + 60)
  await pool.query('insert into worker_heartbeats (worker_id, beat_at) values ($1, now())', ['worker-still-beating'])
  const fresh = await lockedBy('worker-just-started', 'privacy-sweep', 1)

  t.same(await liveness.sweep(), ['worker-killed-9'])
  t.equal((await job(dead))?.locked_by, null, 'the dead worker\'s job is free again')
  t.equal((await job(alive))?.locked_by, 'worker-still-beating', 'a beating worker keeps its job, however long it runs')
  t.equal((await job(fresh))?.locked_by, 'worker-just-started', 'a lock younger than the limit is left alone')
  t.same(await liveness.sweep(), [], 'a second sweep finds nothing more')
})

t.test('a live worker process picks the job up again and runs it', async (t) => {
  const orphan = await lockedBy('worker-lost-with-its-machine', 'ledger-verify', DEAD_AFTER_SECONDS + 60)
  await startTestWorker(t, app, config)
  // the sweep runs every SWEEP_MS: under a minute, not four hours
  await eventually(async () => await job(orphan) === undefined, 60_000)
  t.pass('the job ran to completion (graphile-worker deletes a completed job)')
  const beats = await pool.query<{ n: string }>('select count(*) as n from worker_heartbeats where beat_at > now() - interval \'30 seconds\'')
  t.ok(Number(beats.rows[0]?.n) >= 1, 'the running worker beats')
})

t.test('a live worker beats under the id that locks its jobs', async (t) => {
  // a real job of a real worker, caught while it runs: its lock must be covered by a heartbeat
  const operator = await createKey(app, ['operator'])
  await startTestWorker(t, app, config)
  const queued = await app.inject({ method: 'POST', url: '/v1/admin/debt-imports', headers: { authorization: operator.authorization, 'content-type': 'text/csv' }, payload: makeCsv(Array.from({ length: 20_000 }, (_, i) => makeRow(5_000_000 + i))) })
  t.equal(queued.statusCode, 202)
  const lockedByWorker = await eventually(async () => (await sql<{ locked_by: string | null }>`select j.locked_by from graphile_worker._private_jobs j
    join graphile_worker._private_tasks k on k.id = j.task_id where k.identifier = 'debt-import' and j.locked_by is not null`.execute(app.db)).rows[0]?.locked_by, 60_000)
  const beat = await pool.query('select 1 from worker_heartbeats where worker_id = $1', [lockedByWorker])
  t.equal(beat.rowCount, 1, 'the lock\'s owner beats, so no sweep takes a long job from a live worker')
  const other = startLiveness(pool, app.log)
  t.teardown(other.stop)
  t.same(await other.sweep(), [])
})
