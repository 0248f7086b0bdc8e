import { spawn, type ChildProcess } from 'node:child_process'
import t from 'tap'
import { createKey, createTestApp, eventually, startTestWorker } from '../helpers/app.js'
import { freePort } from '../helpers/payments.js'
import { makeCsv, makeRow } from '../helpers/portfolio.js'

/**
 * DESIGN section 14: a worker killed with -9 in the middle of a portfolio
 * import does not leave it stuck. A second worker takes the job within a
 * minute (heartbeats, src/jobs/liveness.ts) and the import resumes from its
 * last committed batch: every row imported once, nothing staged left.
 */
const ROWS = 120_000
const { app, config, databaseUrl } = await createTestApp(t, { ROLE: 'api' })
const operator = await createKey(app, ['operator'])

function spawnWorker (port: number): ChildProcess {
  const { DATABASE_URL: _ignored, TEST_DATABASE_URL: _also, ...inherited } = process.env
  const child = spawn(process.execPath, [...process.execArgv, 'src/server.ts'], {
    env: {
      ...inherited,
      ROLE: 'worker',
      DATABASE_URL: databaseUrl,
      BANK_MODE: 'sandbox',
      MAIL_MODE: 'sandbox',
      PII_ENCRYPTION_KEY: (config.piiKeys.encryptionKeys.get(config.piiKeys.currentKeyId) as Buffer).toString('base64'),
      PII_ENCRYPTION_KEY_ID: config.piiKeys.currentKeyId,
      PII_INDEX_KEY: config.piiKeys.indexKey.toString('base64'),
      MIGRATE_ON_START: 'false',
      PORT: String(port),
      LOG_LEVEL: 'warn'
    },
    stdio: ['ignore', 'ignore', 'ignore']
  })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  return child
}

async function report (id: string): Promise<Record<string, any>> {
  return (await app.inject({ method: 'GET', url: `/v1/admin/debt-imports/${id}`, headers: { authorization: operator.authorization } })).json()
}

t.test('kill -9 of the worker mid-import: a second worker completes it', async (t) => {
  const first = spawnWorker(await freePort())
  const csv = makeCsv(Array.from({ length: ROWS }, (_, i) => makeRow(3_000_000 + i)))
  const queued = await app.inject({ method: 'POST', url: '/v1/admin/debt-imports', headers: { authorization: operator.authorization, 'content-type': 'text/csv' }, payload: csv })
  t.equal(queued.statusCode, 202)
  const id = queued.json().id as string

  // Killed once it is working on the file: the job is locked and nothing more comes from this worker.
  const running = await eventually(async () => {
    const state = await report(id)
    return state.status === 'running' || state.status === 'completed' ? state : undefined
  }, 120_000)
  first.kill('SIGKILL')
  await new Promise((resolve) => { if (first.exitCode !== null || first.signalCode !== null) resolve(null); else first.on('exit', resolve) })
  t.equal(running.status, 'running', 'the worker died in the middle of the import')

  await startTestWorker(t, app, { ...config, role: 'worker' })
  const done = await eventually(async () => {
    const state = await report(id)
    return state.status === 'completed' ? state : undefined
  }, 240_000)
  t.match(done, { rowsTotal: ROWS, rowsImported: ROWS, rowsUnchanged: 0, rowsRejected: 0 }, 'every row imported once')
  if (done.rowsImported !== ROWS) t.comment(JSON.stringify(done))
  const count = await app.db.selectFrom('debts').select((eb) => eb.fn.countAll<bigint>().as('n')).executeTakeFirstOrThrow()
  t.equal(count.n, BigInt(ROWS))
  const staged = await app.db.selectFrom('debt_import_rows').select((eb) => eb.fn.countAll<bigint>().as('n')).executeTakeFirstOrThrow()
  t.equal(staged.n, 0n, 'nothing staged left behind')
})
