import t from 'tap'
import { sql } from 'kysely'
import { createKey, eventually, startTestWorker } from '../helpers/app.js'
import { accept, createListeningApp, postJson, seedDebt, startPayment, submitAtBank } from '../helpers/payments.js'
import { armFault, clearFaults } from '../bank/bank-fixtures.js'
import { fromPublicId } from '../../src/lib/ids.js'

/**
 * One failure stays one failure: the sandbox bank
 * misbehaves during a refund, the real worker retries the job with
 * graphile-worker's backoff, the process keeps serving throughout, and the
 * refund completes once the bank recovers, with the money sent back once.
 */
const { app, base, config } = await createListeningApp(t, { BANK_TIMEOUT_MS: '1000' })
await startTestWorker(t, app, config)
const operator = await createKey(app, ['operator'])
const bankUrl = `${base}/sandbox/bank`
// only an admin key arms the sandbox bank's faults
const faults = { bankUrl, adminAuthorization: (await createKey(app, ['admin'])).authorization }

/** Polls liveness in the background until stopped; every answer is kept. */
function watchLiveness (t: { teardown: (fn: () => unknown) => void }): { stop: () => Promise<Array<number | string>> } {
  const answers: Array<number | string> = []
  let running = true
  const loop = (async () => {
    while (running) {
      try {
        answers.push((await fetch(`${base}/health/live`, { signal: AbortSignal.timeout(2000) })).status)
      } catch (error) {
        answers.push(error instanceof Error ? error.name : 'failed')
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  })()
  const stop = async (): Promise<Array<number | string>> => { running = false; await loop; return answers }
  t.teardown(stop)
  return { stop }
}

async function returnedPayment (amount: number): Promise<{ paymentId: string, refundId: string }> {
  const debt = await seedDebt(app, { outstanding: '50000.00' })
  const payment = await (await startPayment(base, (await accept(base, debt.id)).id, amount)).json() as {
    id: string
    redirectUrl: string
  }
  await submitAtBank(payment.redirectUrl)
  const started = await postJson(`${base}/v1/admin/payments/${payment.id}/return`, { reason: 'Платёж признан подозрительным' }, { authorization: operator.authorization })
  if (started.status !== 202) throw new Error(`return refused: ${await started.text()}`)
  return { paymentId: payment.id, refundId: (await started.json() as { id: string }).id }
}

async function refundRow (publicId: string) {
  return await app.db.selectFrom('refunds').selectAll().where('id', '=', fromPublicId('refund', publicId) as string).executeTakeFirstOrThrow()
}

async function refundedAtBank (paymentId: string): Promise<bigint> {
  const status = await app.bank.getStatus({ orderId: paymentId })
  return status?.refundedAmount ?? -1n
}

t.afterEach(async () => { await clearFaults(faults) })

t.test('revoke answers HTTP 500 twice: the job is retried with backoff, its error recorded, and the refund completes', async (t) => {
  const liveness = watchLiveness(t)
  t.equal((await armFault(faults, { script: 'revoke', mode: 'http_500', count: 2 })).status, 201)
  const { paymentId, refundId } = await returnedPayment(300_000)
  const failing = await eventually(async () => {
    const { rows } = await sql<{ attempts: number, last_error: string | null }>`
      select attempts, last_error from graphile_worker.jobs where task_identifier = 'refund-execute'`.execute(app.db)
    return typeof rows[0]?.last_error === 'string' ? rows[0] : undefined
  }, 20_000)
  t.match(failing.last_error, /revoke\.php: HTTP 500/, 'the job\'s error is recorded while it waits for its retry')
  t.equal((await refundRow(refundId)).status, 'pending', 'a bank error is not a final failure')

  const done = await eventually(async () => {
    const row = await refundRow(refundId)
    return row.status === 'succeeded' ? row : undefined
  }, 40_000)
  t.equal(done.attempts, 3, 'two failed attempts, then the one that worked')
  t.equal(await refundedAtBank(paymentId), 300_000n, 'the card got the money back once')
  t.equal((await (await fetch(`${base}/v1/payments/${paymentId}`)).json() as { status: string }).status, 'returned')
  const answers = await liveness.stop()
  t.ok(answers.length >= 10, `liveness was polled throughout (${answers.length} times)`)
  t.ok(answers.every((answer) => answer === 200), 'and always answered 200')
})

t.test('revoke answers a signed internal error: retried, not recorded as failed', async (t) => {
  await armFault(faults, { script: 'revoke', mode: 'error', count: 1 })
  const { paymentId, refundId } = await returnedPayment(200_000)
  const done = await eventually(async () => {
    const row = await refundRow(refundId)
    return row.status !== 'pending' ? row : undefined
  }, 30_000)
  t.match(done, { status: 'succeeded', attempts: 2 })
  t.equal(await refundedAtBank(paymentId), 200_000n)
})

t.test('revoke refunds the card but never answers: the retry asks the bank first and never refunds twice', async (t) => {
  await armFault(faults, { script: 'revoke', mode: 'apply_then_timeout', count: 1 })
  const { paymentId, refundId } = await returnedPayment(150_000)
  const done = await eventually(async () => {
    const row = await refundRow(refundId)
    return row.status !== 'pending' ? row : undefined
  }, 30_000)
  t.match(done, { status: 'succeeded', attempts: 2 })
  t.equal(await refundedAtBank(paymentId), 150_000n, 'refunded once, not twice')
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from sandbox_bank_refunds r join sandbox_bank_payments p on p.id = r.payment_id where p.order_id = ${paymentId}`.execute(app.db)
  t.equal(rows[0]?.n, 1, 'one revoke reached the card')
  t.equal((await app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200)
})
