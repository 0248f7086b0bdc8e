import t from 'tap'
import { createKey, eventually } from '../helpers/app.js'
import { accept, createListeningApp, postJson, seedDebt, startPayment, submitAtBank, PAYER } from '../helpers/payments.js'

/**
 * A partner developer's first day: a key bound to creditor A sees A's
 * payments, debts and events, masked, and nothing of creditor B; it cannot
 * touch the back office; everything it does is in the audit log.
 */
const { app, base } = await createListeningApp(t)
const admin = await createKey(app, ['admin'])
const operator = await createKey(app, ['operator'])
const CREDITOR_A = 'АО «Банк А»'
const CREDITOR_B = 'ТОО «Кредитор Б»'

async function partnerKey (creditors: string[], name = 'partner'): Promise<string> {
  const response = await postJson(`${base}/v1/admin/api-keys`, { name, scopes: ['partner'], creditors }, { authorization: admin.authorization })
  if (response.status !== 201) throw new Error(await response.text())
  return `Bearer ${(await response.json() as { key: string }).key}`
}

async function get (path: string, authorization: string): Promise<{ status: number, body: any }> {
  const response = await fetch(`${base}${path}`, { headers: { authorization } })
  return { status: response.status, body: await response.json() }
}

/** A payment made by the payer over the sandbox bank, as on the website. */
async function paidPayment (debtId: string, amount: number): Promise<{ id: string }> {
  const acceptance = await accept(base, debtId)
  const started = await startPayment(base, acceptance.id, amount)
  const payment = await started.json() as { id: string, redirectUrl: string }
  const paid = await submitAtBank(payment.redirectUrl)
  if (paid.status !== 303) throw new Error(`the bank did not take the payment: ${paid.status}`)
  return payment
}

// the debts first: their portfolio rows make the creditors the keys name (DESIGN 18)
const debtA = await seedDebt(app, { creditor: CREDITOR_A, outstanding: '1000.00' })
const debtA2 = await seedDebt(app, { creditor: CREDITOR_A, outstanding: '9000.00' })
const debtB = await seedDebt(app, { creditor: CREDITOR_B, outstanding: '5000.00' })
const partnerA = await partnerKey([CREDITOR_A], 'Bank A')
const partnerB = await partnerKey([CREDITOR_B], 'Creditor B')
const paymentA = await paidPayment(debtA.id, 100_000)
const paymentA2 = await paidPayment(debtA2.id, 200_000)
const paymentB = await paidPayment(debtB.id, 300_000)

t.test('a partner key is bound to creditors: without them it is refused with a stable code', async (t) => {
  const none = await postJson(`${base}/v1/admin/api-keys`, { name: 'no creditors', scopes: ['partner'] }, { authorization: admin.authorization })
  t.equal(none.status, 422)
  t.match(await none.json(), { code: 'partner_creditors_required', errors: [{ path: 'body.creditors' }] })
  const empty = await postJson(`${base}/v1/admin/api-keys`, { name: 'empty', scopes: ['partner'], creditors: [] }, { authorization: admin.authorization })
  t.equal(empty.status, 422)
  t.equal((await empty.json() as { code: string }).code, 'partner_creditors_required')
  const operatorWithCreditors = await postJson(`${base}/v1/admin/api-keys`, { name: 'op', scopes: ['operator'], creditors: [CREDITOR_A] }, { authorization: admin.authorization })
  t.equal(operatorWithCreditors.status, 422)
  t.equal((await operatorWithCreditors.json() as { code: string }).code, 'creditors_need_partner_scope')

  // partner with operator read every creditor's payments: a partner key is a partner key only
  for (const scopes of [['partner', 'operator'], ['admin', 'partner']]) {
    const mixed = await postJson(`${base}/v1/admin/api-keys`, { name: 'mixed', scopes, creditors: [CREDITOR_A] }, { authorization: admin.authorization })
    t.equal(mixed.status, 422, scopes.join('+'))
    t.match(await mixed.json(), { code: 'partner_scope_exclusive', errors: [{ path: 'body.scopes' }] })
  }
  const keys = await (await fetch(`${base}/v1/admin/api-keys`, { headers: { authorization: admin.authorization } })).json() as { data: Array<{ name: string }> }
  t.notOk(keys.data.some((key) => key.name === 'mixed'), 'no such key was made')
  const created = await postJson(`${base}/v1/admin/api-keys`, { name: 'ok', scopes: ['partner'], creditors: [CREDITOR_A] }, { authorization: admin.authorization })
  t.equal(created.status, 201)
  t.match(await created.json(), { scopes: ['partner'], creditors: [CREDITOR_A], key: /^kap_/ })
})

t.test('the partner sees its creditors\' payments only, the payer as initials', async (t) => {
  const list = await get('/v1/partner/payments', partnerA)
  t.equal(list.status, 200)
  t.same(list.body.data.map((p: { id: string }) => p.id).sort(), [paymentA.id, paymentA2.id].sort(), 'A\'s two payments, not B\'s')
  const one = list.body.data.find((p: { id: string }) => p.id === paymentA.id)
  t.match(one, { status: 'succeeded', amount: 100_000, currency: 'KZT', debtId: debtA.id, contractNumber: debtA.contract, creditor: CREDITOR_A, payerName: 'И. И. И.', bankPaymentId: /^\d+$/ })
  const text = JSON.stringify(list.body)
  for (const secret of [PAYER.fullName, 'Иванов', PAYER.email, PAYER.email.toLowerCase(), '7012345678', '234-56-78', '127.0.0.1', debtA.iin]) t.notOk(text.includes(secret), `no ${secret} in a partner's view`)

  t.match((await get(`/v1/partner/payments/${paymentA.id}`, partnerA)).body, { id: paymentA.id, payerName: 'И. И. И.' })
  const foreign = await get(`/v1/partner/payments/${paymentB.id}`, partnerA)
  const unknown = await get('/v1/partner/payments/pay_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', partnerA)
  t.equal(foreign.status, 404)
  t.equal(foreign.body.code, 'payment_not_found')
  t.same({ ...foreign.body, requestId: null, detail: null }, { ...unknown.body, requestId: null, detail: null }, 'another creditor\'s payment is exactly an unknown one')

  const page1 = await get('/v1/partner/payments?limit=1', partnerA)
  t.equal(page1.body.data.length, 1)
  t.equal(page1.body.hasMore, true)
  const page2 = await get(`/v1/partner/payments?limit=1&startingAfter=${page1.body.nextCursor as string}`, partnerA)
  t.equal(page2.body.data.length, 1)
  t.equal(page2.body.hasMore, false)
  t.not(page2.body.data[0].id, page1.body.data[0].id, 'cursor pages do not repeat')
  t.equal((await get('/v1/partner/payments?status=failed', partnerA)).body.data.length, 0)
})

t.test('the partner sees its debts with claim, collected and outstanding from the ledger', async (t) => {
  const list = await get('/v1/partner/debts', partnerA)
  t.equal(list.status, 200)
  t.same(list.body.data.map((d: { id: string }) => d.id).sort(), [debtA.id, debtA2.id].sort())
  const closed = list.body.data.find((d: { id: string }) => d.id === debtA.id)
  t.match(closed, { status: 'closed', claimAmount: { amount: 100_000 }, collectedAmount: { amount: 100_000 }, outstanding: { amount: 0 }, debtorName: /^[А-ЯӘҒҚҢӨҰҮҺІЁ]\. [А-ЯӘҒҚҢӨҰҮҺІЁ]\.$/ })
  const open = list.body.data.find((d: { id: string }) => d.id === debtA2.id)
  t.match(open, { status: 'active', claimAmount: { amount: 900_000 }, collectedAmount: { amount: 200_000 }, outstanding: { amount: 700_000 } })
  const ledger = (await get(`/v1/admin/debts/${debtA2.id}/ledger`, operator.authorization)).body
  t.same([open.claimAmount.amount, open.collectedAmount.amount, open.outstanding.amount], [ledger.claimAmount, ledger.collectedAmount, ledger.outstanding], 'the same figures as the ledger\'s own view')
  t.same((await get(`/v1/partner/debts?contractNumber=${encodeURIComponent(debtB.contract)}`, partnerA)).body.data, [], 'B\'s contract is not found by A')
  t.equal((await get('/v1/partner/debts?status=closed', partnerA)).body.data.length, 1)
})

t.test('events: written with the fact, A sees A\'s, B\'s are 404 for A, the admin sees all', async (t) => {
  const a = await get('/v1/partner/events?type=payment.succeeded', partnerA)
  t.equal(a.status, 200)
  t.same(a.body.data.map((e: any) => e.data.object.id).sort(), [paymentA.id, paymentA2.id].sort())
  t.match(a.body.data[0], { id: /^evt_[0-9a-f]{32}$/, type: 'payment.succeeded', createdAt: /^\d{4}-/, data: { object: { status: 'succeeded', payerName: 'И. И. И.', creditor: CREDITOR_A } } })
  const closedA = await get('/v1/partner/events?type=debt.closed', partnerA)
  t.same(closedA.body.data.map((e: any) => e.data.object.id), [debtA.id], 'paying the whole debt closed it')
  t.match(closedA.body.data[0].data.object, { status: 'closed', outstanding: { amount: 0 }, debtorName: /\.$/ })

  const b = await get('/v1/partner/events', partnerB)
  const eventB = b.body.data.find((e: any) => e.type === 'payment.succeeded')
  t.equal(eventB.data.object.id, paymentB.id)
  t.equal((await get(`/v1/partner/events/${eventB.id as string}`, partnerB)).status, 200)
  const foreign = await get(`/v1/partner/events/${eventB.id as string}`, partnerA)
  t.equal(foreign.status, 404)
  t.equal(foreign.body.code, 'event_not_found')

  const all = await get('/v1/admin/events?type=payment.succeeded&limit=100', operator.authorization)
  t.equal(all.status, 200)
  t.same(all.body.data.map((e: any) => e.data.object.id).sort(), [paymentA.id, paymentA2.id, paymentB.id].sort())
  t.match(all.body.data[0].data.object, { contractNumber: /./, needsReview: false, reviewReason: null }, 'the back office\'s payment shape')
  t.notOk(JSON.stringify(all.body).includes(PAYER.email), 'no payer data in any stored event')
  t.equal((await get(`/v1/admin/events/${eventB.id as string}`, operator.authorization)).body.id, eventB.id)
})

t.test('a partner key gets 403 on the back office, an admin key is not a partner', async (t) => {
  for (const path of ['/v1/admin/payments', '/v1/admin/debts', '/v1/admin/events', '/v1/admin/audit-log', '/v1/admin/api-keys', '/v1/admin/webhook-endpoints', '/v1/admin/reports/daily?date=2026-01-05']) {
    const response = await get(path, partnerA)
    t.equal(response.status, 403, path)
    t.equal(response.body.code, 'forbidden')
  }
  t.equal((await get('/v1/partner/payments', admin.authorization)).status, 403, 'the partner API needs a partner key: its creditors are its scope')
  t.equal((await get('/v1/partner/payments', 'Bearer kap_unknownunknownunknown')).status, 401)
})

t.test('every partner action is in the audit log', async (t) => {
  await get(`/v1/partner/payments/${paymentA.id}`, partnerA)
  // written once the answer has gone out
  const reads = await eventually(async () => {
    const log = await get('/v1/admin/audit-log?entityType=partner_api&limit=100', operator.authorization)
    const found = log.body.data.filter((e: any) => e.action === 'partner.read' && e.entityId === paymentA.id)
    return found.length > 0 ? found : undefined
  })
  t.match(reads[0], { actorKeyId: /^key_/, details: { operation: 'getPartnerPayment', statusCode: 200 } })
})
