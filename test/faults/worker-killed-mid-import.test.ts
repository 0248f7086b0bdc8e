import t from 'tap'
import { createTestDatabase, eventually } from '../helpers/app.js'
import { deploymentEnv, expectImportedOnce, spawnService, uploadPortfolio } from '../helpers/processes.js'

// A worker killed with -9 in the middle of a portfolio import does not leave it stuck. A second worker takes the job
// within a minute (heartbeats, src/jobs/liveness.ts) and the import resumes from its last committed batch: every row
// imported once, nothing staged left.
const ROWS = 120_000
const databaseUrl = await createTestDatabase(t)
const env = deploymentEnv(databaseUrl)

t.test('kill -9 of the worker mid-import: a second worker completes it', async (t) => {
  const api = await spawnService(t, 'api', { ...env, ROLE: 'api' })
  const first = await spawnService(t, 'worker 1', { ...env, ROLE: 'worker' })
  const upload = await uploadPortfolio(api, ROWS, 3_000_000)
  t.equal(upload.status, 202)

  // Killed once it is working on the file: the job is locked and nothing more comes from this worker.
  const running = await eventually(async () => {
    const state = await upload.report()
    return state.status === 'running' || state.status === 'completed' ? state : undefined
  }, 120_000)
  await first.kill()
  t.equal(running.status, 'running', 'the worker died in the middle of the import')

  await spawnService(t, 'worker 2', { ...env, ROLE: 'worker' })
  await expectImportedOnce(t, databaseUrl, upload.report, ROWS)
})
