import t from 'tap'
import { createKey, createTestApp, startTestWorker } from '../helpers/app.js'
import { importPortfolio, makeIin, makeRow } from '../helpers/portfolio.js'

const { app, config } = await createTestApp(t, { LOOKUP_RATE_LIMIT_PER_MINUTE: '1000' })
await startTestWorker(t, app, config)
const operator = await createKey(app, ['operator'])
const payable = makeRow(1, { name: 'Иванов Иван Иванович', outstanding: '125000.50' })
const closed = makeRow(2)
const recalled = makeRow(3)
await importPortfolio(app, operator.authorization, [payable, closed, recalled])

async function setStatus (contract: string, status: string) {
  const [debt] = (await app.inject({ method: 'GET', url: `/v1/admin/debts?contractNumber=${encodeURIComponent(contract)}`, headers: { authorization: operator.authorization } })).json().data
  const response = await app.inject({ method: 'PATCH', url: `/v1/admin/debts/${debt.id as string}`, headers: { authorization: operator.authorization }, payload: { status } })
  return response
}
const closing = await setStatus(closed.contract, 'closed')
await setStatus(recalled.contract, 'recalled')

function lookup (contractNumber: string, iin: string) {
  return app.inject({ method: 'POST', url: '/v1/debts/lookup', payload: { contractNumber, iin } })
}

t.test('the right contract number and IIN find the debt, with the name masked', async (t) => {
  const response = await lookup(`  ${payable.contract.toLowerCase()} `, payable.iin)
  t.equal(response.statusCode, 200)
  t.match(response.json(), {
    debtId: /^debt_[0-9a-f]{32}$/,
    contractNumber: payable.contract,
    creditor: payable.creditor,
    debtorName: 'И*** И*** И***',
    outstanding: { amount: 12500050, currency: 'KZT' },
    status: 'active'
  })
  t.notMatch(response.body, /Иванов|Иван /, 'the full name never leaves')
})

t.test('every kind of miss gets the identical 404', async (t) => {
  const misses = [
    lookup('КД-NOPE', payable.iin), // unknown contract
    lookup(payable.contract, makeIin(999)), // someone else's IIN
    lookup(closed.contract, closed.iin), // closed
    lookup(recalled.contract, recalled.iin) // recalled by the creditor
  ]
  const bodies = []
  for (const response of await Promise.all(misses)) {
    t.equal(response.statusCode, 404)
    const { requestId: _requestId, ...rest } = response.json()
    bodies.push(rest)
  }
  t.equal(bodies[0].code, 'debt_not_found')
  for (const body of bodies.slice(1)) t.same(body, bodies[0], 'nothing tells the misses apart')
})

t.test('an IIN with a wrong check digit is 422 invalid_iin', async (t) => {
  for (const iin of ['871008401428', '12345', '12345678901X', '940140000385']) {
    const response = await lookup(payable.contract, iin)
    t.equal(response.statusCode, 422, iin)
    t.equal(response.json().code, 'invalid_iin')
  }
  const bad = await app.inject({ method: 'POST', url: '/v1/debts/lookup', payload: { contractNumber: payable.contract } })
  t.equal(bad.statusCode, 400)
  t.match(bad.json().errors, [{ path: 'body.iin' }])
})

t.test('status changes are audit-logged', async (t) => {
  t.equal(closing.statusCode, 200)
  t.equal(closing.json().status, 'closed')
  const log = await app.inject({ method: 'GET', url: `/v1/admin/audit-log?entityType=debt&entityId=${closing.json().id as string}`, headers: { authorization: operator.authorization } })
  t.match(log.json().data, [{ action: 'debt.status_changed', details: { from: 'active', to: 'closed' } }])
  const partner = await createKey(app, ['partner'])
  const forbidden = await app.inject({ method: 'PATCH', url: `/v1/admin/debts/${closing.json().id as string}`, headers: { authorization: partner.authorization }, payload: { status: 'active' } })
  t.equal(forbidden.statusCode, 403)
  const missing = await app.inject({ method: 'PATCH', url: '/v1/admin/debts/debt_00000000000000000000000000000000', headers: { authorization: operator.authorization }, payload: { status: 'active' } })
  t.equal(missing.statusCode, 404)
})

t.test('lookups are strictly rate limited per IP', async (t) => {
  const { app: strict } = await createTestApp(t, { LOOKUP_RATE_LIMIT_PER_MINUTE: '3' })
  const statuses = []
  let last
  for (let i = 0; i < 5; i++) {
    last = await strict.inject({ method: 'POST', url: '/v1/debts/lookup', payload: { contractNumber: `guess-${i}`, iin: payable.iin }, remoteAddress: '10.1.2.3' })
    statuses.push(last.statusCode)
  }
  t.same(statuses, [404, 404, 404, 429, 429])
  t.equal(last!.json().code, 'rate_limited')
  t.match(last!.headers['retry-after'], /^\d+$/)
  const other = await strict.inject({ method: 'POST', url: '/v1/debts/lookup', payload: { contractNumber: 'x', iin: payable.iin }, remoteAddress: '10.9.9.9' })
  t.equal(other.statusCode, 404, 'another IP is not affected')
  const offer = await strict.inject({ method: 'GET', url: '/v1/offer', remoteAddress: '10.1.2.3' })
  t.equal(offer.statusCode, 200, 'the strict limit is the lookup\'s own')
})

t.test('a forged X-Forwarded-For does not buy more lookups', async (t) => {
  const { app: strict } = await createTestApp(t, { LOOKUP_RATE_LIMIT_PER_MINUTE: '2' })
  const statuses = []
  for (let i = 0; i < 4; i++) {
    const response = await strict.inject({ method: 'POST', url: '/v1/debts/lookup', payload: { contractNumber: `guess-${i}`, iin: payable.iin }, remoteAddress: '10.7.7.7', headers: { 'x-forwarded-for': `203.0.113.${i}` } })
    statuses.push(response.statusCode)
  }
  t.same(statuses, [404, 404, 429, 429])
})
