import t from 'tap'
import pg from 'pg'
import { sql } from 'kysely'
import { createTestApp, eventually, startTestWorker } from '../helpers/app.js'
import { enqueueJob } from '../../src/db/jobs.js'
import { REFUND_TASK } from '../../src/modules/refunds/service.js'

/**
 * One failing job stays one failure: graphile-worker
 * records the error and schedules a retry, and the process keeps serving.
 * Our int8 -> BigInt parser once leaked into graphile-worker through the
 * shared pg module; its failure path then threw "Do not know how to
 * serialize a BigInt" and the process died with the job still locked.
 */
t.test('our bigint parser is our pool\'s alone', async (t) => {
  const { app } = await createTestApp(t)
  const { rows } = await sql<{ n: bigint, d: string }>`select 9007199254740993::int8 as n, '2026-03-08'::date as d`.execute(app.db)
  t.equal(rows[0]?.n, 9007199254740993n, 'our queries read int8 as bigint, exactly')
  t.equal(rows[0]?.d, '2026-03-08', 'and dates as the calendar day')
  t.equal(pg.types.getTypeParser(pg.types.builtins.INT8, 'text')('42'), '42', 'pg itself is left as it ships: int8 is text')
})

t.test('a job that throws is retried later with its error recorded, and the process keeps serving', async (t) => {
  const { app, config } = await createTestApp(t)
  await startTestWorker(t, app, config)
  // a refund job without its payload: the task throws on its first line
  await enqueueJob(app.db, REFUND_TASK, {}, { maxAttempts: 3 })
  const failed = await eventually(async () => {
    const { rows } = await sql<{ attempts: number, last_error: string | null, locked_at: Date | null, later: boolean }>`
      select attempts, last_error, locked_at, run_at > now() as later from graphile_worker.jobs where task_identifier = ${REFUND_TASK}`.execute(app.db)
    const job = rows[0]
    return job !== undefined && job.attempts >= 1 && job.last_error !== null ? job : undefined
  }, 20_000)
  t.match(failed.last_error, /job payload lacks refundId/, 'the error is recorded on the job')
  t.equal(failed.locked_at, null, 'the job is released, not left locked')
  t.ok(failed.later, 'and scheduled to run again after a backoff')
  const live = await app.inject({ method: 'GET', url: '/health/live' })
  t.equal(live.statusCode, 200, 'the process is still up')
})
