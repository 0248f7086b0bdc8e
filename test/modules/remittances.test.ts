import t, { type Test } from 'tap'
import { createKey, eventually } from '../helpers/app.js'
import { accept, createListeningApp, startPayment, submitAtBank } from '../helpers/payments.js'
import { caller, debtOf, kaspiPaid, kaspiRefunded, owedTo, payableLines } from '../helpers/agency.js'
import { commissionOn, restateClaim } from '../../src/modules/ledger/service.js'
import { fromPublicId } from '../../src/lib/ids.js'
import { almatyDate } from '../../src/lib/calendar.js'

/**
 * What the agency owes agency-agreement creditors (DESIGN 18) over real HTTP: a payment received posts the
 * creditor's payable and the commission on the applied part (never the overpaid excess), refunds reverse them
 * cumulatively to the tiyn, remittances pay it out and never exceed it (two racing: one wins), assignment creditors
 * are owed nothing, and the trial balance stays zero throughout.
 */
const { app, base } = await createListeningApp(t)
const admin = await createKey(app, ['admin'])
const call = caller(base, admin.authorization)
const today = almatyDate(new Date())

async function creditor (name: string, agreement: { kind: string, commissionBps: number }): Promise<string> {
  const created = await call('POST', '/v1/admin/creditors', { name, agreement })
  if (created.status !== 201) throw new Error(JSON.stringify(created.body))
  return created.body.id as string
}

async function trialBalanceTies (t: Test): Promise<void> {
  const balance = await call('GET', '/v1/admin/ledger/trial-balance')
  t.equal(balance.status, 200)
  t.match(balance.body, { total: 0, consistent: true }, 'the trial balance stays zero')
  const kinds = balance.body.accounts.map((a: { kind: string }) => a.kind)
  t.ok(kinds.includes('creditor_payable') && kinds.includes('commission'), 'it lists the new account kinds')
}

t.test('commission rounds half up to the tiyn', async (t) => {
  t.equal(commissionOn(100_000n, 1250), 12_500n)
  t.equal(commissionOn(10_004n, 1250), 1_251n, '1250.5 rounds up')
  t.equal(commissionOn(10_003n, 1250), 1_250n, '1250.375 rounds down')
  t.equal(commissionOn(10_003n, 0), 0n)
  t.equal(commissionOn(7n, 10000), 7n)
})

t.test('an agency payment posts payable and commission on the applied part, not the excess', async (t) => {
  const id = await creditor('ТОО Агент Один', { kind: 'agency', commissionBps: 1250 })
  const debt = await debtOf(app, 'ТОО Агент Один', 100_000n)
  const payment = await kaspiPaid(app, debt.code, 120_000n) // 20 000 overpaid: the payer's money
  t.same(await payableLines(app, id, payment), { payable: -87_500n, commission: -12_500n, claims: 100_000n })
  t.equal(await owedTo(app, id), 87_500n)
  const view = await call('GET', `/v1/admin/debts/${debt.id}/ledger`)
  t.match(view.body, { claimAmount: 100_000, collectedAmount: 120_000, outstanding: 0 },
    'the claims line of a payment is collection, not a change of claim')
  await trialBalanceTies(t)
})

t.test('a card payment posts the same way', async (t) => {
  const id = await creditor('ТОО Агент Карта', { kind: 'agency', commissionBps: 1000 })
  const debt = await debtOf(app, 'ТОО Агент Карта', 50_000n)
  const acceptance = await accept(base, debt.id)
  const payment = await (await startPayment(base, acceptance.id, 30_000)).json() as { id: string, redirectUrl: string }
  await submitAtBank(payment.redirectUrl)
  await eventually(async () => (await call('GET', `/v1/admin/payments/${payment.id}`)).body.status === 'succeeded')
  t.same(await payableLines(app, id, payment.id), { payable: -27_000n, commission: -3_000n, claims: 30_000n })
  await trialBalanceTies(t)
})

t.test('a payment refunded in three parts reverses exactly the commission and payable posted', async (t) => {
  const id = await creditor('ТОО Агент Три', { kind: 'agency', commissionBps: 1250 })
  const debt = await debtOf(app, 'ТОО Агент Три', 10_004n)
  const payment = await kaspiPaid(app, debt.code, 10_004n)
  t.same(await payableLines(app, id, payment), { payable: -8_753n, commission: -1_251n, claims: 10_004n })
  await kaspiRefunded(call, payment, 3_335n)
  t.same(await payableLines(app, id, payment), { payable: -5_835n, commission: -834n, claims: 6_669n },
    'a third: 417 of commission back (1251 × 3335 / 10004 = 417.04)')
  await kaspiRefunded(call, payment, 3_335n)
  await kaspiRefunded(call, payment, 3_334n)
  t.same(await payableLines(app, id, payment), { payable: 0n, commission: 0n, claims: 0n },
    'refunded in full: nothing owed, no commission, no tiyn of drift')
  t.equal(await owedTo(app, id), 0n)
  await trialBalanceTies(t)
})

t.test('a refund reverses only the receivable part it restores: the overpaid excess goes back first', async (t) => {
  const id = await creditor('ТОО Агент Излишек', { kind: 'agency', commissionBps: 2000 })
  const debt = await debtOf(app, 'ТОО Агент Излишек', 50_000n)
  const payment = await kaspiPaid(app, debt.code, 60_000n)
  t.same(await payableLines(app, id, payment), { payable: -40_000n, commission: -10_000n, claims: 50_000n })
  await kaspiRefunded(call, payment, 10_000n) // the excess alone: the creditor's money untouched
  t.same(await payableLines(app, id, payment), { payable: -40_000n, commission: -10_000n, claims: 50_000n })
  await kaspiRefunded(call, payment, 25_000n) // half the applied part
  t.same(await payableLines(app, id, payment), { payable: -20_000n, commission: -5_000n, claims: 25_000n })
  await trialBalanceTies(t)
})

t.test('remittances: within the payable, audit-logged, idempotent; above it 422; unknown creditor 404', async (t) => {
  const id = await creditor('ТОО Агент Перевод', { kind: 'agency', commissionBps: 1000 })
  const debt = await debtOf(app, 'ТОО Агент Перевод', 100_000n)
  await kaspiPaid(app, debt.code, 100_000n)
  t.equal(await owedTo(app, id), 90_000n)

  const body = { amount: 30_000, reference: 'ПП-000001', date: today }
  const first = await call('POST', `/v1/admin/creditors/${id}/remittances`, body, { 'idempotency-key': 'rem-1' })
  t.equal(first.status, 201)
  t.match(first.body, { id: /^rem_[0-9a-f]{32}$/, creditorId: id, amount: 30_000, reference: 'ПП-000001', date: today, ledgerEntryId: /^le_/ })
  const again = await call('POST', `/v1/admin/creditors/${id}/remittances`, body, { 'idempotency-key': 'rem-1' })
  t.same(again.body, first.body, 'the same key replays the first answer')
  t.equal(await owedTo(app, id), 60_000n, 'booked once')
  const retried = await call('POST', `/v1/admin/creditors/${id}/remittances`, body)
  t.match(retried, { status: 409, body: { code: 'remittance_already_recorded' } },
    'the same transfer again without the key: its reference is taken')
  t.equal(await owedTo(app, id), 60_000n, 'still booked once')

  const over = await call('POST', `/v1/admin/creditors/${id}/remittances`, { ...body, amount: 60_001, reference: 'ПП-2' })
  t.match(over, { status: 422, body: { code: 'remittance_exceeds_payable', payable: 60_000 } })
  t.equal(await owedTo(app, id), 60_000n, 'nothing booked')

  const unknown = 'cred_' + '0'.repeat(32)
  t.match(await call('POST', `/v1/admin/creditors/${unknown}/remittances`, body), { status: 404, body: { code: 'unknown_creditor' } })
  t.match(await call('POST', `/v1/admin/creditors/${id}/remittances`, { ...body, date: '2999-01-01' }),
    { status: 422, body: { code: 'invalid_date' } })
  t.match(await call('POST', `/v1/admin/creditors/${id}/remittances`, { ...body, date: '2026-02-30' }),
    { status: 422, body: { code: 'invalid_date' } })
  t.match(await call('POST', `/v1/admin/creditors/${id}/remittances`, { ...body, amount: 0 }),
    { status: 400, body: { code: 'validation_failed' } })
  t.match(await call('POST', `/v1/admin/creditors/${id}/remittances`, { ...body, reference: 'x'.repeat(65) }),
    { status: 400, body: { code: 'validation_failed' } })

  const operator = await createKey(app, ['operator'])
  t.match(await caller(base, operator.authorization)('POST', `/v1/admin/creditors/${id}/remittances`, body),
    { status: 403 }, 'an operator key may not pay a creditor')

  t.match(await call('GET', `/v1/admin/creditors/${id}`), { status: 200, body: { id, payable: 60_000 } },
    'the creditor\'s view shows what it is owed now')
  const page = await call('GET', '/v1/admin/creditors?limit=100')
  t.equal(page.body.data.find((c: { id: string }) => c.id === id)?.payable, 60_000)
  const list = await call('GET', `/v1/admin/creditors/${id}/remittances`)
  t.match(list, { status: 200, body: { data: [{ id: first.body.id }], hasMore: false } })
  const audit = await app.db.selectFrom('audit_log').select(['action', 'entity_id'])
    .where('action', '=', 'remittance.created').where('entity_id', '=', first.body.id).execute()
  t.equal(audit.length, 1, 'audit-logged once')
  await trialBalanceTies(t)
})

t.test('two remittances racing never together exceed the payable: exactly one succeeds', async (t) => {
  const id = await creditor('ТОО Агент Гонка', { kind: 'agency', commissionBps: 0 })
  const debt = await debtOf(app, 'ТОО Агент Гонка', 100_000n)
  await kaspiPaid(app, debt.code, 100_000n)
  for (let round = 0; round < 3; round++) {
    const owed = await owedTo(app, id)
    const amount = Number(owed / 2n) + 1
    const answers = await Promise.all([1, 2].map(async (n) => await call('POST', `/v1/admin/creditors/${id}/remittances`,
      { amount, reference: `ПП-R${round}-${n}`, date: today })))
    t.same(answers.map((a) => a.status).sort(), [201, 422], `round ${round}: one booked, one refused`)
    t.equal(await owedTo(app, id), owed - BigInt(amount))
  }
  await trialBalanceTies(t)
})

t.test('an assignment creditor is owed nothing: no payable lines, a remittance is 422', async (t) => {
  const id = await creditor('АО Цессия', { kind: 'assignment', commissionBps: 0 })
  const debt = await debtOf(app, 'АО Цессия', 100_000n)
  const payment = await kaspiPaid(app, debt.code, 40_000n)
  await kaspiRefunded(call, payment, 10_000n)
  t.same(await payableLines(app, id), { payable: 0n, commission: 0n, claims: 0n })
  t.equal(await owedTo(app, id), 0n)
  t.match(await call('POST', `/v1/admin/creditors/${id}/remittances`, { amount: 1, reference: 'ПП-1', date: today }),
    { status: 422, body: { code: 'remittance_exceeds_payable', payable: 0 } })
  await trialBalanceTies(t)
})

t.test('the agreement when the payment is booked decides: a later switch to agency posts nothing back', async (t) => {
  const id = await creditor('ТОО Переход', { kind: 'assignment', commissionBps: 0 })
  const debt = await debtOf(app, 'ТОО Переход', 100_000n)
  const before = await kaspiPaid(app, debt.code, 40_000n)
  t.equal((await call('PATCH', `/v1/admin/creditors/${id}`, { agreement: { kind: 'agency', commissionBps: 500 } })).status, 200)
  const after = await kaspiPaid(app, debt.code, 20_000n)
  t.same(await payableLines(app, id, after), { payable: -19_000n, commission: -1_000n, claims: 20_000n })
  await kaspiRefunded(call, before, 40_000n)
  t.same(await payableLines(app, id), { payable: -19_000n, commission: -1_000n, claims: 20_000n },
    'a refund of a payment booked under assignment reverses nothing')
  await trialBalanceTies(t)
})

t.test('a restated claim of an agency debt reads the claim, not the collections posted on the claims account', async (t) => {
  const id = await creditor('ТОО Агент Пересчёт', { kind: 'agency', commissionBps: 1000 })
  const debt = await debtOf(app, 'ТОО Агент Пересчёт', 100_000n)
  await kaspiPaid(app, debt.code, 40_000n)
  const debtId = fromPublicId('debt', debt.id) as string
  const change = await app.db.transaction().execute(async (trx) => await restateClaim(trx, {
    debtId, creditorId: fromPublicId('creditor', id) as string, claim: 120_000n, reference: { type: 'debt', id: debtId }
  }))
  t.match(change, { difference: 20_000n, outstanding: 80_000n })
  t.match((await call('GET', `/v1/admin/debts/${debt.id}/ledger`)).body,
    { claimAmount: 120_000, collectedAmount: 40_000, outstanding: 80_000 })
  await trialBalanceTies(t)
})

t.test('money moving between a debt\'s payments never leaves a refunded debt owing its creditor', async (t) => {
  // a debt paid twice: the second payment applies nothing; the first is refunded out of the second's surplus, and
  // then the second is returned: nothing stays collected, so nothing stays owed
  const id = await creditor('ТОО Дважды', { kind: 'agency', commissionBps: 1000 })
  const twice = await debtOf(app, 'ТОО Дважды', 100_000n)
  const first = await kaspiPaid(app, twice.code, 100_000n)
  const second = await kaspiPaid(app, twice.code, 100_000n)
  t.equal(await owedTo(app, id), 90_000n, 'owed for the one payment applied')
  await kaspiRefunded(call, first, 100_000n)
  t.equal(await owedTo(app, id), 90_000n, 'the second payment\'s money now pays the debt: still owed')
  await kaspiRefunded(call, second, 100_000n)
  t.equal(await owedTo(app, id), 0n, 'both gone: nothing owed')
  t.same(await payableLines(app, id), { payable: 0n, commission: 0n, claims: 0n })

  // one payment applied in full, one in part with a surplus; each refunded in full, the first out of the surplus
  const partly = await creditor('ТОО Частично', { kind: 'agency', commissionBps: 1000 })
  const debt = await debtOf(app, 'ТОО Частично', 100_000n)
  const p1 = await kaspiPaid(app, debt.code, 50_000n)
  const p2 = await kaspiPaid(app, debt.code, 80_000n)
  t.equal(await owedTo(app, partly), 90_000n)
  await kaspiRefunded(call, p1, 50_000n)
  t.equal(await owedTo(app, partly), 72_000n, '30,000 of the surplus took p1\'s place: 80,000 collected, 72,000 owed')
  await kaspiRefunded(call, p2, 80_000n)
  t.equal(await owedTo(app, partly), 0n, 'nothing collected, nothing owed')
  await trialBalanceTies(t)
})
