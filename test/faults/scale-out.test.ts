import t from 'tap'
import pg from 'pg'
import { createTestDatabase, eventually } from '../helpers/app.js'
import { PAYER, postJson, resultParams, sendCallback, signedCallback } from '../helpers/payments.js'
import { makeRow } from '../helpers/portfolio.js'
import { adminRequest, deploymentEnv, expectBooksMatchBank, payAtBank, spawnService, uploadPortfolio, type Paid } from '../helpers/processes.js'

// Two API processes and two workers on one database, as a scaled-out deployment runs. A burst of payments through
// both APIs, every result callback sent again to both (duplicated), refund decisions taken twice at once through both,
// and an import running meanwhile: no job runs twice, no callback applies twice, the books match the bank's own
// records and the trial balance is zero.
const DEBTS = 24
const IMPORTED = 3000
const databaseUrl = await createTestDatabase(t)
const env = deploymentEnv(databaseUrl)

t.test('2 API + 2 worker processes: nothing twice, the books match the bank', async (t) => {
  const [a, b] = await Promise.all([spawnService(t, 'api A', { ...env, ROLE: 'api' }), spawnService(t, 'api B', { ...env, ROLE: 'api' })])
  // the workers reach the bank (the sandbox, in api A) by its address, as
  // docker-compose wires them; debug logs name every job run
  const workerEnv = { ...env, ROLE: 'worker', BANK_BASE_URL: `${a.base}/sandbox/bank`, LOG_LEVEL: 'debug' }
  const workers = await Promise.all([spawnService(t, 'worker 1', workerEnv), spawnService(t, 'worker 2', workerEnv)])

  const first = await uploadPortfolio(a, DEBTS, 5_000_000)
  await eventually(async () => (await first.report()).status === 'completed', 120_000)

  // The burst: an import through B, payers on both APIs, duplicated callbacks and doubled refund decisions.
  const second = await uploadPortfolio(b, IMPORTED, 6_000_000)
  t.equal(second.status, 202)
  const duplicates: number[] = []
  const decisions: number[][] = []
  const refundRequests: string[] = []
  await Promise.all(Array.from({ length: DEBTS }, async (_, i) => {
    const api = i % 2 === 0 ? a : b
    const paid: Paid = await payAtBank(api.base, makeRow(5_000_000 + i), 20_000 + i * 100, i % 4 === 3 ? 'decline' : 'pay')
    if (i % 4 === 3) return
    // the bank's result callback once more, to each API at the same moment
    const again = resultParams(paid)
    const answers = await Promise.all([a, b].map(async (to) => await sendCallback(to.base, 'result', signedCallback('result', 'sandbox-secret-key', again))))
    duplicates.push(...answers.map((answer) => answer.status))
    if (i % 3 !== 0) return
    const filed = await postJson(`${api.base}/v1/refund-requests`, { paymentId: paid.id, email: PAYER.email, amount: 5_000, reason: 'Оплатил лишнее' })
    if (filed.status !== 201) throw new Error(`refund request ${filed.status}: ${await filed.text()}`)
    const request = await filed.json() as { id: string }
    refundRequests.push(request.id)
    const decided = await Promise.all([a, b].map(async (to) => await adminRequest(to.base, 'POST', `/v1/admin/refund-requests/${request.id}/decision`, { decision: 'approve', responseText: 'Возврат одобрен' })))
    decisions.push(decided.map((d) => d.status).sort())
  }))
  t.ok(duplicates.length > 0 && duplicates.every((status) => status === 200), 'every duplicated callback is answered as the first was')
  t.ok(decisions.length > 0, 'refunds were decided')
  t.same(decisions, decisions.map(() => [200, 409]), 'of two decisions taken at once, one wins and the other is told it is already answered')

  // Let the workers finish: the import, the refunds at the bank.
  const imported = await eventually(async () => { const state = await second.report(); return state.status === 'completed' ? state : undefined }, 240_000)
  t.match(imported, { rowsTotal: IMPORTED, rowsImported: IMPORTED, rowsUnchanged: 0, rowsRejected: 0 }, 'the import ran once')
  for (const id of refundRequests) {
    const done = await eventually(async () => {
      const state = (await adminRequest(a.base, 'GET', `/v1/refund-requests/${id}`)).json
      return state.refund?.status === 'succeeded' ? state : undefined
    }, 120_000)
    t.equal(done.status, 'completed')
  }

  const charged = await expectBooksMatchBank(t, databaseUrl, a.base)
  t.equal(charged, DEBTS - DEBTS / 4, 'every payer who paid was charged once')
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  t.teardown(async () => { await client.end() })
  const refunded = await client.query<{ n: number }>("select count(*)::int as n from refunds where status = 'succeeded'")
  t.equal(refunded.rows[0]?.n, refundRequests.length, 'one refund per approved request')
  t.equal((await client.query<{ n: number }>('select count(*)::int as n from debts')).rows[0]?.n, DEBTS + IMPORTED)

  const runs = workers.flatMap((worker) => [...worker.output().matchAll(/Completed task (\d+) \(([a-z-]+)/g)].map((m) => `${m[1]} ${m[2]}`))
  t.ok(runs.some((run) => run.endsWith('debt-import')) && runs.some((run) => run.endsWith('refund-execute')), 'the workers ran the imports and the refunds')
  t.comment(`${runs.length} job runs across the two workers`)
  t.same(runs.filter((run, i) => runs.indexOf(run) !== i), [], 'no job ran twice')
  t.ok(workers.every((worker) => /Completed task/.test(worker.output())), 'both workers took jobs')
  for (const process of [a, b, ...workers]) t.same(process.errors(), [], `${process.name} logged no error`)
})
