import t from 'tap'
import { createTestDatabase, eventually } from '../helpers/app.js'
import { deploymentEnv, expectImportedOnce, spawnService, uploadPortfolio } from '../helpers/processes.js'

// SIGTERM to a worker in the middle of a portfolio import (a deploy, a scale-down): the import stops after the batch
// in hand, the process exits 0 without an error in its log, and the next worker resumes the import where it stopped:
// every row once, nothing staged left behind.
const ROWS = 150_000
const databaseUrl = await createTestDatabase(t)
const env = deploymentEnv(databaseUrl)

t.test('SIGTERM mid-import: exit 0, no error logged, and the next worker finishes the import exactly once', async (t) => {
  const api = await spawnService(t, 'api', { ...env, ROLE: 'api' })
  const first = await spawnService(t, 'worker 1', { ...env, ROLE: 'worker', SHUTDOWN_TIMEOUT_SECONDS: '300', LOG_LEVEL: 'info' })
  const upload = await uploadPortfolio(api, ROWS, 4_000_000)
  t.equal(upload.status, 202)
  await eventually(async () => ['running', 'completed'].includes((await upload.report()).status as string), 120_000)

  t.equal(await first.stop('SIGTERM'), 0, 'the worker exits 0')
  t.same(first.errors(), [], 'and logs no error on the way')
  const afterStop = await upload.report()
  if (afterStop.status !== 'completed') {
    t.match(first.output(), 'the import stopped for a shutdown; it resumes where it stopped', 'it stopped between two batches')
    t.ok(afterStop.rowsImported < ROWS, 'with part of the file still to do')
  }

  await spawnService(t, 'worker 2', { ...env, ROLE: 'worker' })
  await expectImportedOnce(t, databaseUrl, upload.report, ROWS)
  t.equal(await api.stop(), 0, 'the api exits 0 too')
})
