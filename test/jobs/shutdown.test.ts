import t from 'tap'
import { sql } from 'kysely'
import type { JobHelpers } from 'graphile-worker'
import { createKey, createTestApp } from '../helpers/app.js'
import { makeCsv, makeRow } from '../helpers/portfolio.js'
import { taskList } from '../../src/jobs/tasks.js'
import { JobInterrupted } from '../../src/db/jobs.js'
import { DEBT_IMPORT_TASK, IMPORT_MAX_ATTEMPTS } from '../../src/modules/debts/import-upload.js'
import { fromPublicId } from '../../src/lib/ids.js'

// A shutdown is not a failure: an import told to stop throws JobInterrupted before its next batch, is not abandoned,
// and, stopped on its job's last attempt, gets a fresh job instead of being failed for good.
const { app } = await createTestApp(t, { ROLE: 'api' })
const operator = await createKey(app, ['operator'])

async function stagedImport (seed: number): Promise<string> {
  const response = await app.inject({ method: 'POST', url: '/v1/admin/debt-imports', headers: { authorization: operator.authorization, 'content-type': 'text/csv' }, payload: makeCsv([makeRow(seed), makeRow(seed + 1)]) })
  t.equal(response.statusCode, 202)
  return fromPublicId('debtImport', response.json().id as string) as string
}

async function jobsOf (importId: string): Promise<number> {
  const rows = await sql<{ n: number }>`select count(*)::int as n from graphile_worker._private_jobs j join graphile_worker._private_tasks k on k.id = j.task_id
    where k.identifier = ${DEBT_IMPORT_TASK} and j.payload->>'importId' = ${importId}`.execute(app.db)
  return rows.rows[0]?.n ?? 0
}

function helpersAt (attempts: number): JobHelpers {
  return { job: { attempts, max_attempts: IMPORT_MAX_ATTEMPTS } } as unknown as JobHelpers
}

const stopping = AbortSignal.abort()
const task = taskList(app, stopping)[DEBT_IMPORT_TASK] as (payload: unknown, helpers: JobHelpers) => Promise<void>

t.test('stopped on an early attempt: interrupted, still running, no extra job', async (t) => {
  const id = await stagedImport(8_000_000)
  await t.rejects(task({ importId: id }, helpersAt(1)), JobInterrupted)
  const state = await app.db.selectFrom('debt_imports').select(['status', 'rows_imported']).where('id', '=', id).executeTakeFirstOrThrow()
  t.match(state, { status: 'running', rows_imported: 0 }, 'the import is neither failed nor advanced')
  t.equal(await jobsOf(id), 1, 'its own job stays the one to run it')
})

t.test('stopped on the last attempt: a fresh job, not a failed import', async (t) => {
  const id = await stagedImport(8_100_000)
  await t.rejects(task({ importId: id }, helpersAt(IMPORT_MAX_ATTEMPTS)), JobInterrupted)
  const state = await app.db.selectFrom('debt_imports').select('status').where('id', '=', id).executeTakeFirstOrThrow()
  t.equal(state.status, 'running', 'not abandoned')
  t.equal(await jobsOf(id), 2, 'a fresh job is queued beside the one about to fail for good')
})
