import t from 'tap'
import pg from 'pg'
import { createTestDatabase, eventually } from '../helpers/app.js'
import { makeRow } from '../helpers/portfolio.js'
import { booksVersusBank, deploymentEnv, expectBooksMatchBank, payAtBank, spawnService, uploadPortfolio, type ServiceProcess } from '../helpers/processes.js'

// kill -9 of every service process (two APIs, the sandbox bank inside them, a worker) in the middle of a burst of
// payments. Once they are back and reconciliation has run, nothing is lost and nothing doubled: every payment is paid
// with us exactly when the bank's own records say the card was charged, once, and the trial balance is zero.
const PAYERS = 30
const databaseUrl = await createTestDatabase(t)
const env = deploymentEnv(databaseUrl)

async function startAll (ports: number[] = []): Promise<ServiceProcess[]> {
  const apis = await Promise.all([
    spawnService(t, 'api A', { ...env, ROLE: 'api' }, ports[0]),
    spawnService(t, 'api B', { ...env, ROLE: 'api' }, ports[1])
  ])
  const worker = await spawnService(t, 'worker', { ...env, ROLE: 'worker', BANK_BASE_URL: `${apis[0].base}/sandbox/bank` }, ports[2])
  return [...apis, worker]
}

t.test('kill -9 of every process during a payment burst: after restart and reconciliation, nothing lost, nothing doubled', async (t) => {
  const processes = await startAll()
  const [a, b] = processes as [ServiceProcess, ServiceProcess, ServiceProcess]
  const upload = await uploadPortfolio(a, PAYERS, 7_000_000)
  await eventually(async () => (await upload.report()).status === 'completed', 120_000)

  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  t.teardown(async () => { await client.end() })
  const paidAtBank = async (): Promise<number> => (await client.query<{ n: number }>("select count(*)::int as n from sandbox_bank_payments where status = 'paid'")).rows[0]?.n ?? 0

  const burst = Promise.allSettled(Array.from({ length: PAYERS }, async (_, i) =>
    await payAtBank((i % 2 === 0 ? a : b).base, makeRow(7_000_000 + i), 30_000 + i * 100, i % 5 === 4 ? 'decline' : 'pay')))
  // once the bank has charged a few cards, every process dies at once, wherever it is
  await eventually(async () => await paidAtBank() >= 5, 120_000)
  await Promise.all(processes.map(async (p) => { await p.kill() }))
  const outcomes = await burst
  t.comment(`${outcomes.filter((o) => o.status === 'fulfilled').length} of ${PAYERS} payers finished before the kill; the bank charged ${await paidAtBank()}; ${(await booksVersusBank(databaseUrl)).wrong.length} differences to the bank's records before the restart`)

  // Back on the same addresses (the bank's queued callbacks name them); the bank's retries and reconciliation catch up.
  const restarted = await startAll(processes.map((p) => p.port))
  await eventually(async () => (await booksVersusBank(databaseUrl)).wrong.length === 0, 240_000)
    .catch(async () => { t.comment(JSON.stringify((await booksVersusBank(databaseUrl)).wrong)) })
  const charged = await expectBooksMatchBank(t, databaseUrl, (restarted[0] as ServiceProcess).base)
  t.ok(charged >= 5, 'the payments charged before the kill are all there')
})
