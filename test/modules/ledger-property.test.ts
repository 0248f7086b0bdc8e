import t from 'tap'
import fc from 'fast-check'
import { sql } from 'kysely'
import { createKey, eventually, startTestWorker } from '../helpers/app.js'
import { accept, createListeningApp, postJson, PAYER, resultParams, sendCallback, signedCallback, startPayment, submitAtBank } from '../helpers/payments.js'
import { importPortfolio, makeRow, type PortfolioRow } from '../helpers/portfolio.js'
import { armFault, clearFaults } from '../bank/bank-fixtures.js'
import { reconcilePayments } from '../../src/modules/payments/reconcile.js'
import { bankReportedRefunds } from '../../src/modules/refunds/bank-reported.js'
import { fromPublicId, toPublicId } from '../../src/lib/ids.js'

/**
 * The books under random histories: imports and re-imports with changed
 * claims, payments at the sandbox bank, duplicate and out-of-order result
 * callbacks, refunds, returns, faults injected at the bank and
 * reconciliation runs, in sequences fast-check draws from a fixed seed.
 * After each sequence (once the worker has settled what it can, and an
 * operator has retried what it could not):
 * - the trial balance is zero and consistent;
 * - every debt's outstanding is its claim minus the net collected, never below zero;
 * - the sandbox bank's own records agree with ours: every refund paid once,
 *   nothing charged or refunded that we do not know of.
 */
const { app, base, config } = await createListeningApp(t, { BANK_TIMEOUT_MS: '1000', REFUND_MAX_ATTEMPTS: '3', PAYMENT_MIN_AMOUNT: '100', LOOKUP_RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_PER_MINUTE: '100000' })
await startTestWorker(t, app, config)
const operator = await createKey(app, ['operator'])
const bankUrl = `${base}/sandbox/bank`
// only an admin key arms the sandbox bank's faults
const faults = { bankUrl, adminAuthorization: (await createKey(app, ['admin'])).authorization }
const TENGE = 100

type Action =
  | { kind: 'claim', debt: number, tenge: number }
  | { kind: 'pay', debt: number, tenge: number }
  | { kind: 'decline', debt: number }
  | { kind: 'duplicate_result', payment: number }
  | { kind: 'late_failure', payment: number }
  | { kind: 'refund', payment: number, tenge: number }
  | { kind: 'return', payment: number }
  | { kind: 'fault', script: 'revoke' | 'get_status3', mode: 'timeout' | 'http_500' | 'apply_then_timeout' }
  | { kind: 'reconcile' }

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('claim' as const), debt: fc.nat(1), tenge: fc.constantFrom(500, 1000, 2000, 3500) }),
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('pay' as const), debt: fc.nat(1), tenge: fc.constantFrom(100, 300, 700, 1200) }) },
  fc.record({ kind: fc.constant('decline' as const), debt: fc.nat(1) }),
  fc.record({ kind: fc.constant('duplicate_result' as const), payment: fc.nat(5) }),
  fc.record({ kind: fc.constant('late_failure' as const), payment: fc.nat(5) }),
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('refund' as const), payment: fc.nat(5), tenge: fc.constantFrom(100, 250, 5000) }) },
  fc.record({ kind: fc.constant('return' as const), payment: fc.nat(5) }),
  fc.record({ kind: fc.constant('fault' as const), script: fc.constantFrom('revoke' as const, 'get_status3' as const), mode: fc.constantFrom('timeout' as const, 'http_500' as const, 'apply_then_timeout' as const) }),
  fc.record({ kind: fc.constant('reconcile' as const) })
)

interface Paid { id: string, amount: number, bankPaymentId: string }
let sequence = 0

async function admin (method: 'GET' | 'POST', url: string, body?: unknown): Promise<{ status: number, json: any }> {
  const response = await app.inject({
    method,
    url,
    headers: { authorization: operator.authorization },
    ...(body !== undefined ? { payload: body as object } : {})
  })
  return { status: response.statusCode, json: response.body === '' ? null : response.json() }
}

async function paymentRow (publicId: string) {
  return await app.db.selectFrom('payments').selectAll().where('id', '=', fromPublicId('payment', publicId) as string).executeTakeFirstOrThrow()
}

async function run (actions: Action[]): Promise<void> {
  sequence++
  const rows: PortfolioRow[] = [0, 1].map((i) => makeRow(7_000_000 + sequence * 10 + i, { outstanding: '1000.00' }))
  await importPortfolio(app, operator.authorization, rows)
  const debtIds: string[] = []
  for (const row of rows) {
    const found = await admin('GET', `/v1/admin/debts?contractNumber=${encodeURIComponent(row.contract)}`)
    debtIds.push(found.json.data[0].id as string)
  }
  const paid: Paid[] = []

  for (const step of actions) {
    switch (step.kind) {
      case 'claim': {
        const changed = rows.map((row, i) => (i === step.debt ? { ...row, outstanding: `${step.tenge}.00` } : row))
        rows.splice(0, rows.length, ...changed)
        await importPortfolio(app, operator.authorization, rows)
        break
      }
      case 'pay':
      case 'decline': {
        const acceptance = await accept(base, debtIds[step.debt] as string, PAYER).catch(() => null)
        if (acceptance === null) break
        const started = await startPayment(base, acceptance.id, (step.kind === 'pay' ? step.tenge : 100) * TENGE)
        if (started.status !== 201) break // over the outstanding, a closed debt: refused before the bank
        const payment = await started.json() as { id: string, amount: number, redirectUrl: string }
        await submitAtBank(payment.redirectUrl, step.kind === 'pay' ? 'pay' : 'decline')
        const row = await paymentRow(payment.id)
        if (row.status === 'succeeded' && row.bank_payment_id !== null) paid.push({ id: payment.id, amount: payment.amount, bankPaymentId: row.bank_payment_id })
        break
      }
      case 'duplicate_result':
      case 'late_failure': {
        const payment = paid[step.payment % Math.max(paid.length, 1)]
        if (payment === undefined) break
        const params = resultParams(payment, { pg_payment_id: payment.bankPaymentId, ...(step.kind === 'late_failure' ? { pg_result: '0', pg_failure_code: '101' } : {}) })
        await sendCallback(base, 'result', signedCallback('result', config.bank.secretKey, params))
        break
      }
      case 'refund': {
        const payment = paid[step.payment % Math.max(paid.length, 1)]
        if (payment === undefined) break
        const request = await postJson(`${base}/v1/refund-requests`, { paymentId: payment.id, email: PAYER.email, amount: step.tenge * TENGE, reason: 'Оплатил лишнее' })
        if (request.status !== 201) break
        const { id } = await request.json() as { id: string }
        await admin('POST', `/v1/admin/refund-requests/${id}/decision`, { decision: 'approve', responseText: 'Возврат одобрен' })
        break
      }
      case 'return': {
        const payment = paid[step.payment % Math.max(paid.length, 1)]
        if (payment === undefined) break
        await admin('POST', `/v1/admin/payments/${payment.id}/return`, { reason: 'Платёж признан подозрительным' })
        break
      }
      case 'fault':
        await armFault(faults, { script: step.script, mode: step.mode, count: 1 })
        break
      case 'reconcile':
        await reconcilePayments(
          { db: app.db, bank: app.bank, log: app.log, refunds: bankReportedRefunds, reconcileAfterSeconds: 0 },
          new Date(Date.now() + 3600_000)
        )
        break
    }
  }

  // The bank recovers; the worker settles what it can, an operator retries the rest (asking the bank first).
  await clearFaults(faults)
  await eventually(async () => {
    const open = await app.db.selectFrom('refunds').select(['id', 'status']).where('status', 'in', ['pending', 'needs_review', 'failed']).execute()
    for (const refund of open.filter((r) => r.status !== 'pending')) {
      await admin('POST', `/v1/admin/refunds/${toPublicId('refund', refund.id)}/retry`)
    }
    return open.length === 0
  }, 120_000)

  // 1. The books balance.
  const trial = await admin('GET', '/v1/admin/ledger/trial-balance')
  t.equal(trial.status, 200)
  t.equal(trial.json.total, 0, `sequence ${sequence}: the trial balance is zero`)
  t.equal(trial.json.consistent, true, `sequence ${sequence}: materialised balances equal their lines`)

  for (const [i, debtId] of debtIds.entries()) {
    const debtUuid = fromPublicId('debt', debtId) as string
    // 2. Outstanding = claim - net collected, never below zero, from our own facts.
    const { rows: facts } = await sql<{ paid: string, refunded: string }>`
      select coalesce(sum(p.amount) filter (where p.status in ('succeeded', 'returned')), 0) as paid,
             coalesce((select sum(r.amount) from refunds r join payments q on q.id = r.payment_id where q.debt_id = ${debtUuid} and r.status = 'succeeded'), 0) as refunded
      from payments p where p.debt_id = ${debtUuid}`.execute(app.db)
    const net = BigInt(facts[0]?.paid ?? 0) - BigInt(facts[0]?.refunded ?? 0)
    const claim = BigInt(Math.round(Number((rows[i] as PortfolioRow).outstanding) * TENGE))
    const expected = claim > net ? claim - net : 0n
    const ledger = await admin('GET', `/v1/admin/debts/${debtId}/ledger`)
    t.equal(BigInt(ledger.json.outstanding), expected, `sequence ${sequence}, debt ${i}: outstanding is claim ${claim} minus net collected ${net}`)
    t.equal(BigInt(ledger.json.claimAmount), claim, 'the ledger holds the creditor\'s last claim')

    // 3. The sandbox bank's own records agree with ours.
    const ourPayments = await app.db.selectFrom('payments').select('id').where('debt_id', '=', debtUuid).execute()
    const orderIds = ourPayments.map((p) => toPublicId('payment', p.id))
    const { rows: bank } = orderIds.length === 0
      ? { rows: [] }
      : await sql<{ order_id: string, status: string, refunded_amount: string }>`
        select order_id, status, refunded_amount from sandbox_bank_payments where order_id in (${sql.join(orderIds)})`.execute(app.db)
    for (const record of bank) {
      const ours = await paymentRow(record.order_id)
      const { rows: refunded } = await sql<{ total: string }>`select coalesce(sum(amount), 0) as total from refunds where payment_id = ${ours.id} and status = 'succeeded'`.execute(app.db)
      t.equal(record.status === 'paid', ours.status === 'succeeded' || ours.status === 'returned', `${record.order_id}: paid at the bank exactly when paid with us`)
      t.equal(BigInt(record.refunded_amount), BigInt(refunded[0]?.total ?? 0), `${record.order_id}: the bank refunded exactly what we record, once`)
    }
  }
}

t.test('random histories keep the books balanced and agree with the bank', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(action, { minLength: 4, maxLength: 9 }), async (actions) => { await run(actions) }),
    { seed: 20261201, numRuns: 6, endOnFailure: true }
  )
})
