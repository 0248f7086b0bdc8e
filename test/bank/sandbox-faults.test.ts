import t from 'tap'
import { sql } from 'kysely'
import { BankTimeoutError, BankUnavailableError } from '../../src/bank/provider.js'
import { eventually } from '../helpers/app.js'
import {
  PAY_WITH, armFault, clearFaults, paymentRequest, startMerchant, startSandbox, submitForm, type Merchant, type Sandbox
} from './bank-fixtures.js'

/**
 * Fault injection over real HTTP: the acquirer adapter
 * meets each fault exactly as it would meet a misbehaving bank.
 */
const APPROVING = '4111 1111 1111 1111'
// the adapter gives up on a held request this soon: long enough that an honest
// answer on a loaded machine always beats it
const CLIENT_TIMEOUT_MS = 2000

async function setUp (
  t: { teardown: (fn: () => unknown) => void }, behaviour = {}
): Promise<{ sandbox: Sandbox, merchant: Merchant }> {
  const merchant = await startMerchant(t, behaviour)
  const sandbox = await startSandbox(t, { merchant, bankTimeoutMs: CLIENT_TIMEOUT_MS, retryDelaysMs: [10, 10] })
  return { sandbox, merchant }
}

async function paid (sandbox: Sandbox, merchant: Merchant): Promise<string> {
  const { bankPaymentId, redirectUrl } = await sandbox.acquirer.initPayment(paymentRequest(merchant))
  await submitForm(redirectUrl, PAY_WITH(APPROVING))
  return bankPaymentId
}

async function paymentCount (sandbox: Sandbox): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from sandbox_bank_payments`.execute(sandbox.db)
  return rows[0]?.n ?? 0
}

t.test('arming, listing and clearing faults; bad bodies are refused as problem+json', async (t) => {
  const { sandbox } = await setUp(t)
  const armed = await armFault(sandbox, { script: 'revoke', mode: 'http_500', count: 2 })
  t.equal(armed.status, 201)
  t.same(await armed.json(), { faults: [{ script: 'revoke', mode: 'http_500', remaining: 2 }] })
  const second = await armFault(sandbox, { script: 'revoke', mode: 'timeout', count: 1 })
  t.same(await second.json(), { faults: [{ script: 'revoke', mode: 'http_500', remaining: 2 }, { script: 'revoke', mode: 'timeout', remaining: 1 }] }, 'queued behind the first')

  const bad: unknown[] = [
    { script: 'revoke', mode: 'http_500', count: '2' },
    { script: 'revoke', mode: 'http_500', count: 0 },
    { script: 'revoke', mode: 'http_500', count: 1001 },
    { script: 'revoke', mode: 'http_500', count: 1.5 },
    { script: 'refund', mode: 'http_500', count: 1 },
    { script: 'revoke', mode: 'slow', count: 1 },
    { script: 'revoke', mode: 'http_500' },
    { script: 'revoke', mode: 'http_500', count: 1, extra: true },
    [], 'revoke'
  ]
  for (const body of bad) {
    const response = await fetch(`${sandbox.bankUrl}/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: sandbox.adminAuthorization },
      body: JSON.stringify(body)
    })
    t.equal(response.status, 400, JSON.stringify(body))
    t.match(response.headers.get('content-type'), 'application/problem+json')
    t.match(await response.json(), { code: 'validation_failed' })
  }
  await clearFaults(sandbox)
  const fresh = await armFault(sandbox, { script: 'init_payment', mode: 'error', count: 1 })
  t.same(await fresh.json(), { faults: [{ script: 'init_payment', mode: 'error', remaining: 1 }] }, 'only the new one')
})

t.test('without the admin key nobody arms or clears a fault, and a stranger\'s body is not validated', async (t) => {
  const { sandbox, merchant } = await setUp(t)
  await armFault(sandbox, { script: 'init_payment', mode: 'http_500', count: 1 })
  const fault = JSON.stringify({ script: 'init_payment', mode: 'timeout', count: 1000 })
  const strangers: Array<Record<string, string>> = [
    {}, { authorization: 'Bearer not-the-admin-key-at-all' }, { authorization: 'Basic YWRtaW46YWRtaW4=' }
  ]
  for (const headers of strangers) {
    for (const body of [fault, '{"count":0}', '[]']) {
      const post = { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }
      const armed = await fetch(`${sandbox.bankUrl}/faults`, post)
      t.equal(armed.status, 401, `POST ${JSON.stringify(headers)} ${body}`)
      t.match(armed.headers.get('content-type'), 'application/problem+json')
      t.match(await armed.json(), { code: 'unauthenticated' })
    }
    const cleared = await fetch(`${sandbox.bankUrl}/faults`, { method: 'DELETE', headers })
    t.equal(cleared.status, 401, `DELETE ${JSON.stringify(headers)}`)
    t.match(await cleared.json(), { code: 'unauthenticated' })
  }
  const { rows } = await sql`select script, mode, remaining from sandbox_bank_faults`.execute(sandbox.db)
  t.same(rows, [{ script: 'init_payment', mode: 'http_500', remaining: 1 }], 'the admin\'s fault alone, still armed')
  await t.rejects(sandbox.acquirer.initPayment(paymentRequest(merchant)), /HTTP 500/, 'and it still fires')
})

t.test('init_payment: each mode as the adapter sees it; only apply_then_timeout creates the payment', async (t) => {
  const { sandbox, merchant } = await setUp(t)
  const cases: Array<[string, (error: unknown) => boolean, number]> = [
    ['http_500', (error) => error instanceof BankUnavailableError && !(error instanceof BankTimeoutError) && /HTTP 500/.test(String(error)), 0],
    ['error', (error) => error instanceof BankUnavailableError && /internal error \(1000\)/.test(String(error)), 0],
    ['timeout', (error) => error instanceof BankTimeoutError, 0],
    ['apply_then_timeout', (error) => error instanceof BankTimeoutError, 1]
  ]
  for (const [mode, expected, created] of cases) {
    await armFault(sandbox, { script: 'init_payment', mode, count: 1 })
    const request = paymentRequest(merchant)
    const error = await sandbox.acquirer.initPayment(request).catch((caught: unknown) => caught)
    t.ok(expected(error), `${mode}: ${String(error)}`)
    t.equal(await paymentCount(sandbox), created, `${mode}: ${created === 0 ? 'nothing was created' : 'the payment exists at the bank'}`)
    if (mode === 'apply_then_timeout') t.match(await sandbox.acquirer.getStatus({ orderId: request.orderId }), { status: 'pending' }, 'and get_status3 finds it by order id')
  }
  const recovered = await sandbox.acquirer.initPayment(paymentRequest(merchant))
  t.match(recovered, { bankPaymentId: /^\d+$/ }, 'the faults used up, the bank answers again')
})

t.test('get_status3: timeout, error and http_500 each fail the call, then it answers', async (t) => {
  const { sandbox, merchant } = await setUp(t)
  const bankPaymentId = await paid(sandbox, merchant)
  await armFault(sandbox, { script: 'get_status3', mode: 'timeout', count: 1 })
  await armFault(sandbox, { script: 'get_status3', mode: 'error', count: 1 })
  await armFault(sandbox, { script: 'get_status3', mode: 'http_500', count: 1 })
  await t.rejects(sandbox.acquirer.getStatus({ bankPaymentId }), BankTimeoutError)
  await t.rejects(sandbox.acquirer.getStatus({ bankPaymentId }), /internal error/)
  await t.rejects(sandbox.acquirer.getStatus({ bankPaymentId }), /HTTP 500/)
  t.match(await sandbox.acquirer.getStatus({ bankPaymentId }), { status: 'succeeded' })
})

t.test('revoke: only apply_then_timeout moves money, and the caller never hears of it', async (t) => {
  const { sandbox, merchant } = await setUp(t)
  const bankPaymentId = await paid(sandbox, merchant)
  for (const mode of ['http_500', 'error', 'timeout']) {
    await armFault(sandbox, { script: 'revoke', mode, count: 1 })
    const error = await sandbox.acquirer.refund({ bankPaymentId, amount: 10000n }).catch((caught: unknown) => caught)
    t.ok(error instanceof BankUnavailableError, `${mode}: the call fails, outcome unknown (${String(error)})`)
    t.match(await sandbox.acquirer.getStatus({ bankPaymentId }), { refundedAmount: 0n }, `${mode}: nothing refunded`)
  }
  await armFault(sandbox, { script: 'revoke', mode: 'apply_then_timeout', count: 1 })
  await t.rejects(sandbox.acquirer.refund({ bankPaymentId, amount: 10000n }), BankTimeoutError, 'no answer')
  t.match(await sandbox.acquirer.getStatus({ bankPaymentId }), { status: 'partially_refunded', refundedAmount: 10000n }, 'but the card got the money back')
  t.match(await sandbox.acquirer.refund({ bankPaymentId, amount: 10000n }), { accepted: true }, 'then revoke answers again')
})

t.test('revoke refuse: the bank\'s signed no is `accepted: false`, and nothing moves', async (t) => {
  const { sandbox, merchant } = await setUp(t)
  const bankPaymentId = await paid(sandbox, merchant)
  await armFault(sandbox, { script: 'revoke', mode: 'refuse', count: 1 })
  t.match(await sandbox.acquirer.refund({ bankPaymentId, amount: 10000n }), { accepted: false, errorCode: '490' })
  t.match(await sandbox.acquirer.getStatus({ bankPaymentId }), { refundedAmount: 0n }, 'nothing refunded')
})

t.test('result_callback: timeout, error and http_500 skip the attempt; apply_then_timeout sends a duplicate', async (t) => {
  for (const mode of ['timeout', 'error', 'http_500']) {
    const { sandbox, merchant } = await setUp(t)
    await armFault(sandbox, { script: 'result_callback', mode, count: 1 })
    const bankPaymentId = await paid(sandbox, merchant)
    t.equal(merchant.results.length, 0, `${mode}: the first attempt is not sent`)
    const row = await eventually(async () => {
      const { rows } = await sql<{ attempts: number, delivered_at: Date | null }>`select attempts, delivered_at from sandbox_bank_callbacks where payment_id = ${bankPaymentId}`.execute(sandbox.db)
      return rows[0]?.delivered_at instanceof Date ? rows[0] : undefined
    })
    t.equal(row.attempts, 2, `${mode}: delivered by the retry`)
    t.equal(merchant.results.length, 1, `${mode}: received once`)
  }
  const { sandbox, merchant } = await setUp(t)
  await armFault(sandbox, { script: 'result_callback', mode: 'apply_then_timeout', count: 1 })
  const bankPaymentId = await paid(sandbox, merchant)
  await eventually(async () => merchant.results.length === 2)
  const [first, second] = merchant.results
  t.equal(first?.params.pg_payment_id, bankPaymentId)
  t.same({ ...first?.params, pg_salt: '', pg_sig: '' }, { ...second?.params, pg_salt: '', pg_sig: '' }, 'the merchant receives the same result twice')
  // the sandbox records the delivery after the merchant's answer arrives: wait for the record, not for the answer
  const rows = await eventually(async () => {
    const { rows } = await sql<{ attempts: number }>`select attempts from sandbox_bank_callbacks where payment_id = ${bankPaymentId} and delivered_at is not null`.execute(sandbox.db)
    return rows.length > 0 ? rows : undefined
  })
  t.same(rows, [{ attempts: 2 }], 'the lost answer counted as not delivered')
})

t.test('a fault counts calls: count 2 fails two calls, the third works', async (t) => {
  const { sandbox, merchant } = await setUp(t)
  await armFault(sandbox, { script: 'init_payment', mode: 'http_500', count: 2 })
  await t.rejects(sandbox.acquirer.initPayment(paymentRequest(merchant)), /HTTP 500/)
  await t.rejects(sandbox.acquirer.initPayment(paymentRequest(merchant)), /HTTP 500/)
  await sandbox.acquirer.initPayment(paymentRequest(merchant))
  t.equal(await paymentCount(sandbox), 1)
})

t.test('a held request is let go after the bound even when the client waits forever, and closing the sandbox never waits for it', async (t) => {
  const merchant = await startMerchant(t)
  const sandbox = await startSandbox(t, { merchant, maxHoldMs: 300 })
  await armFault(sandbox, { script: 'get_status3', mode: 'timeout', count: 2 })
  const started = Date.now()
  await t.rejects(fetch(`${sandbox.bankUrl}/get_status3.php`, { method: 'POST', body: new URLSearchParams({ pg_payment_id: '1' }) }), 'the connection is closed, unanswered')
  t.ok(Date.now() - started < 10_000, 'within the bound')
  const forever = fetch(`${sandbox.bankUrl}/get_status3.php`, { method: 'POST', body: new URLSearchParams({ pg_payment_id: '1' }) }).catch((error: unknown) => error)
  // held once its call has taken the second fault
  await eventually(async () => (await sql<{ n: number }>`select sum(remaining)::int as n from sandbox_bank_faults`.execute(sandbox.db)).rows[0]?.n === 0)
  await sandbox.close()
  t.ok(await forever instanceof Error, 'closed with the sandbox')
})
