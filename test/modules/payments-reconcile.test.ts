import t, { type Test } from 'tap'
import { sql } from 'kysely'
import { createKey, eventually } from '../helpers/app.js'
import { accept, bankPaymentIdOf, createListeningApp, outstandingOf, resultParams, seedDebt, sendCallback, signedCallback, startPayment, submitAtBank } from '../helpers/payments.js'
import { fromPublicId } from '../../src/lib/ids.js'
import { armFault as armBankFault, clearFaults, type FaultArming } from '../bank/bank-fixtures.js'
import { reconcilePayments } from '../../src/modules/payments/reconcile.js'
import { bankReportedRefunds } from '../../src/modules/refunds/bank-reported.js'

/**
 * Reconciliation (PSync / Janitor): every pending payment is asked about at
 * the bank on its own schedule, so a payer the bank charged is credited
 * within about RECONCILE_AFTER_SECONDS even when the result never reaches
 * us, stuck payments never starve new ones, and facts that do not fit are
 * flagged for an operator. Time moves by passing `now`, never by sleeping.
 */
const AFTER = 120

interface Started { id: string, amount: number, redirectUrl: string }
interface State {
  status: string
  createdAt: string
  expiresAt: string
  needsReview: boolean
  reviewReason: string | null
  refundedAmount: number
  timeline: Array<{ kind: string, type: string }>
}

/** Each test its own app and database: pending payments of one test are never due in another's run. */
async function setUp (t: Test, env: Record<string, string> = {}) {
  const { app, base, config } = await createListeningApp(t, { RECONCILE_AFTER_SECONDS: String(AFTER), ...env })
  const operator = await createKey(app, ['operator'])
  const deps = {
    db: app.db,
    bank: app.bank,
    log: app.log,
    refunds: bankReportedRefunds,
    reconcileAfterSeconds: config.payments.reconcileAfterSeconds
  }
  // only an admin key arms the sandbox bank's faults
  const admin = await createKey(app, ['admin'])
  const faults = { bankUrl: `${base}/sandbox/bank`, adminAuthorization: admin.authorization }

  const armFault = async (fault: FaultArming): Promise<void> => { await armBankFault(faults, fault) }
  const statusOf = async (id: string): Promise<State> =>
    await (await fetch(`${base}/v1/admin/payments/${id}`, { headers: { authorization: operator.authorization } })).json() as State
  const started = async (debtId: string, amount: number): Promise<Started> => {
    const response = await startPayment(base, (await accept(base, debtId)).id, amount)
    if (response.status !== 201) throw new Error(`payment not started: ${await response.text()}`)
    return await response.json() as Started
  }
  /**
   * Paid at the bank, and its result callback never reaches us: every attempt
   * and retry is lost (a crash, the network).
   */
  const paidButUnheard = async (debtId: string, amount: number): Promise<Started> => {
    const payment = await started(debtId, amount)
    await armFault({ script: 'result_callback', mode: 'timeout', count: 4 }) // the first attempt and its three retries
    if ((await submitAtBank(payment.redirectUrl)).status !== 303) throw new Error('the payer could not pay at the bank')
    await eventually(async () => {
      const { rows } = await sql<{ gave_up: boolean }>`select gave_up_at is not null as gave_up from sandbox_bank_callbacks where params->>'pg_order_id' = ${payment.id}`.execute(app.db)
      return rows[0]?.gave_up === true
    })
    await clearFaults(faults)
    return payment
  }
  return { app, base, config, deps, armFault, statusOf, started, paidButUnheard }
}

const at = (iso: string, seconds: number): Date => new Date(Date.parse(iso) + seconds * 1000)
const rowId = (publicId: string): string => fromPublicId('payment', publicId) as string

t.test('after a crash, a payment the bank took is credited about RECONCILE_AFTER_SECONDS later, not at its expiry', async (t) => {
  const { app, deps, statusOf, paidButUnheard } = await setUp(t)
  const debt = await seedDebt(app, { outstanding: '10000.00' })
  const payment = await paidButUnheard(debt.id, 300_000)
  const state = await statusOf(payment.id)
  t.equal(state.status, 'pending', 'we have not heard')

  t.match(await reconcilePayments(deps, at(state.createdAt, AFTER - 30)), { checked: 0 }, 'not asked before RECONCILE_AFTER_SECONDS')
  const credited = at(state.createdAt, AFTER + 1)
  t.ok(credited < new Date(state.expiresAt), 'long before the payment\'s lifetime ends')
  t.match(await reconcilePayments(deps, credited), { checked: 1, succeeded: 1 })
  t.match(await statusOf(payment.id), { status: 'succeeded', needsReview: false })
  t.equal(await outstandingOf(app, debt.id), 700_000n, 'the debt went down by the payment, once')
  t.match(await reconcilePayments(deps, at(state.createdAt, 3 * AFTER)), { checked: 0 }, 'a settled payment is not asked about again')
})

t.test('a payment still pending at the bank is asked again with a doubling backoff, and at its lifetime before it expires', async (t) => {
  const { app, deps, statusOf, started } = await setUp(t)
  const debt = await seedDebt(app, { outstanding: '10000.00' })
  const payment = await started(debt.id, 100_000)
  const { createdAt, expiresAt } = await statusOf(payment.id)
  const expiry = new Date(expiresAt)
  const schedule = async (): Promise<{ next_check_at: Date, check_attempts: number }> =>
    await app.db.selectFrom('payments').select(['next_check_at', 'check_attempts']).where('id', '=', rowId(payment.id)).executeTakeFirstOrThrow() as { next_check_at: Date, check_attempts: number }

  let now = at(createdAt, AFTER)
  const asked: number[] = []
  for (let attempt = 1; now < expiry; attempt++) {
    t.match(await reconcilePayments(deps, now), { checked: 1, skipped: 1 }, `ask ${attempt}: still pending at the bank`)
    asked.push(Math.round((now.getTime() - Date.parse(createdAt)) / 1000))
    const next = await schedule()
    t.equal(next.check_attempts, attempt)
    const backoff = new Date(now.getTime() + AFTER * 2 ** attempt * 1000)
    t.equal(next.next_check_at.getTime(), Math.min(backoff.getTime(), expiry.getTime()), `ask ${attempt}: the next one ${AFTER * 2 ** attempt} s later, never past its lifetime`)
    t.match(await reconcilePayments(deps, new Date(next.next_check_at.getTime() - 1000)), { checked: 0 }, 'not before it is due')
    now = next.next_check_at
  }
  t.same(asked, [120, 360, 840], 'asked at 2, 6 and 14 minutes')
  t.equal(now.getTime(), expiry.getTime(), 'then at its lifetime')
  t.match(await reconcilePayments(deps, now), { checked: 1, expired: 1 }, 'asked once more, at its lifetime: still unpaid, so it expires')
  t.equal((await statusOf(payment.id)).status, 'expired')
})

t.test('many old payments the bank cannot answer about do not starve a new one', async (t) => {
  const { app, deps, armFault, statusOf, paidButUnheard } = await setUp(t)
  const debt = await seedDebt(app, { outstanding: '10000.00' })
  const fresh = await paidButUnheard(debt.id, 200_000)
  const { createdAt } = await statusOf(fresh.id)
  // twenty payments stuck for an hour (the same acceptance and debt; the bank never gave them an id)
  await sql`insert into payments (id, acceptance_id, debt_id, amount, currency, ip_index, iin_index, email_index, expires_at, created_at, next_check_at)
    select gen_random_uuid(), acceptance_id, debt_id, amount, currency, ip_index, iin_index, email_index, expires_at, created_at - interval '1 hour', created_at - interval '1 hour'
      from payments, generate_series(1, 20) where id = ${rowId(fresh.id)}`.execute(app.db)
  await armFault({ script: 'get_status3', mode: 'http_500', count: 20 }) // every question about them fails

  const now = at(createdAt, AFTER + 1)
  t.match(await reconcilePayments(deps, now, 10), { checked: 10, skipped: 10 }, 'the ten longest due first; the bank cannot answer')
  t.match(await reconcilePayments(deps, now, 10), { checked: 10, skipped: 10 }, 'then the next ten: those asked went behind')
  t.match(await reconcilePayments(deps, now, 10), { checked: 1, succeeded: 1 }, 'then the new one, though the old ones are still unanswered')
  t.equal((await statusOf(fresh.id)).status, 'succeeded')
  const { rows } = await sql<{ attempts: number, later: boolean, n: number }>`select check_attempts as attempts, next_check_at > ${now} as later, count(*)::int as n
    from payments where debt_id = ${fromPublicId('debt', debt.id)} and status = 'pending' group by 1, 2`.execute(app.db)
  t.same(rows, [{ attempts: 1, later: true, n: 20 }], 'each old one asked once and rescheduled later')
})

t.test('a payment flagged for review leaves the automatic scan', async (t) => {
  const { app, deps, statusOf, paidButUnheard } = await setUp(t)
  const debt = await seedDebt(app, { outstanding: '10000.00' })
  const payment = await paidButUnheard(debt.id, 100_000)
  await app.db.updateTable('payments').set({ needs_review: true, review_reason: 'operator_hold' }).where('id', '=', rowId(payment.id)).execute()
  t.match(await reconcilePayments(deps, at((await statusOf(payment.id)).createdAt, AFTER * 10)), { checked: 0 })
  t.equal((await statusOf(payment.id)).status, 'pending', 'an operator resolves it')
})

t.test('a pending payment the bank reports refunded is settled as paid, its refund recorded, and flagged', async (t) => {
  const { app, deps, statusOf, paidButUnheard } = await setUp(t)
  for (const [refund, label] of [[50_000n, 'partially refunded'], [300_000n, 'refunded in full']] as const) {
    const debt = await seedDebt(app, { outstanding: '10000.00' })
    const payment = await paidButUnheard(debt.id, 300_000)
    const bankPaymentId = bankPaymentIdOf(payment) as string
    // someone refunds it in the bank's back office before we ever heard of the payment
    t.match(await app.bank.refund({ bankPaymentId, amount: refund }), { accepted: true })

    const result = await reconcilePayments(deps, at((await statusOf(payment.id)).createdAt, AFTER + 1))
    t.match(result, { checked: 1, flagged: 1, succeeded: 0 }, label)
    const state = await statusOf(payment.id)
    t.match(state, { status: 'succeeded', refundedAmount: Number(refund), needsReview: true, reviewReason: 'refunded_at_bank' }, `${label}: paid, refunded, flagged`)
    t.ok(state.timeline.some((e) => e.type === 'refunded_at_bank') && state.timeline.some((e) => e.type === 'refunded'))
    t.equal(await outstandingOf(app, debt.id), 1_000_000n - 300_000n + refund, `${label}: the debt keeps only what the agency kept`)
    const refunds = await app.db.selectFrom('refunds').select(['kind', 'status', 'amount']).where('payment_id', '=', rowId(payment.id)).execute()
    t.same(refunds, [{ kind: 'bank_reported', status: 'succeeded', amount: refund }], `${label}: one refund, as the bank reports it`)
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from sandbox_bank_refunds r join sandbox_bank_payments p on p.id = r.payment_id where p.order_id = ${payment.id}`.execute(app.db)
    t.same(rows, [{ n: 1 }], `${label}: we never asked the bank to refund it again`)
  }
})

t.test('a success naming another bank payment is flagged, never accepted: in reconciliation and in the result callback', async (t) => {
  const { app, base, config, deps, statusOf, started, paidButUnheard } = await setUp(t)
  const debt = await seedDebt(app, { outstanding: '10000.00' })
  const unheard = await paidButUnheard(debt.id, 100_000)
  await app.db.updateTable('payments').set({ bank_payment_id: '990000001' }).where('id', '=', rowId(unheard.id)).execute()
  const due = at((await statusOf(unheard.id)).createdAt, AFTER + 1)
  t.match(await reconcilePayments(deps, due), { checked: 1, flagged: 1, succeeded: 0 })
  t.match(await statusOf(unheard.id), { status: 'pending', needsReview: true, reviewReason: 'bank_payment_id_mismatch' })
  t.match(await reconcilePayments(deps, at((await statusOf(unheard.id)).createdAt, AFTER * 10)), { checked: 0 }, 'then left to an operator')

  const payment = await started(debt.id, 100_000)
  const other = signedCallback('result', config.bank.secretKey, resultParams(payment, { pg_payment_id: '990000002' }))
  const answer = await sendCallback(base, 'result', other)
  t.match(answer.text, /<pg_status>ok<\/pg_status><pg_description>accepted for review<\/pg_description>/, 'acknowledged: the bank may hold money either way')
  t.match(await statusOf(payment.id), { status: 'pending', needsReview: true, reviewReason: 'bank_payment_id_mismatch' })
  t.equal((await sendCallback(base, 'result', other)).text, answer.text, 'a repeat gets the identical answer')
  t.equal(await outstandingOf(app, debt.id), 1_000_000n, 'neither was credited')
})

t.test('a payment whose init timed out is asked about at the next run', async (t) => {
  const { app, base, deps, armFault } = await setUp(t, { BANK_TIMEOUT_MS: '1500' })
  const debt = await seedDebt(app, { outstanding: '10000.00' })
  await armFault({ script: 'init_payment', mode: 'apply_then_timeout', count: 1 })
  const response = await startPayment(base, (await accept(base, debt.id)).id, 100_000)
  t.equal(response.status, 502)
  const { paymentId } = await response.json() as { paymentId: string }
  t.match(await reconcilePayments(deps, new Date(Date.now() + 1000)), { checked: 1, skipped: 1 }, 'asked by order id at once, not after RECONCILE_AFTER_SECONDS')
  const row = await app.db.selectFrom('payments').select(['bank_payment_id', 'status']).where('id', '=', rowId(paymentId)).executeTakeFirstOrThrow()
  t.match(row, { status: 'pending', bank_payment_id: /^\d+$/ }, 'the bank had it: its id is now ours')
})
