import t from 'tap'
import { sql } from 'kysely'
import { createKey, createTestApp, startTestWorker } from '../helpers/app.js'
import { importPortfolio, makeIin, makeRow } from '../helpers/portfolio.js'

const { app, config } = await createTestApp(t, { LOOKUP_RATE_LIMIT_PER_MINUTE: '1000' })
await startTestWorker(t, app, config)
const operator = await createKey(app, ['operator'])
const payable = makeRow(1, { name: 'Иванов Иван Иванович', outstanding: '125000.50' })
// nothing left to pay: closed from the start (the status follows the outstanding amount)
const closed = makeRow(2, { outstanding: '0.00' })
const recalled = makeRow(3)
await importPortfolio(app, operator.authorization, [payable, closed, recalled])

async function setStatus (contract: string, status: string) {
  const [debt] = (await app.inject({ method: 'GET', url: `/v1/admin/debts?contractNumber=${encodeURIComponent(contract)}`, headers: { authorization: operator.authorization } })).json().data
  const response = await app.inject({ method: 'PATCH', url: `/v1/admin/debts/${debt.id as string}`, headers: { authorization: operator.authorization }, payload: { status } })
  return response
}
const recalling = await setStatus(recalled.contract, 'recalled')

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

t.test('a problem\'s title and detail follow Accept-Language; its code, type, status and fields never change', async (t) => {
  const refused = (acceptLanguage?: string) => app.inject({
    method: 'POST',
    url: '/v1/debts/lookup',
    headers: acceptLanguage === undefined ? {} : { 'accept-language': acceptLanguage },
    payload: { contractNumber: payable.contract, iin: '871008401428' }
  })
  const plain = await refused()
  t.equal(plain.headers['content-language'], 'ru', 'without Accept-Language: Russian (DESIGN 19)')
  t.match(plain.json(), { title: 'Данные не могут быть обработаны', detail: /^ИИН неверен/ })
  const kk = await refused('kk-KZ,kk;q=0.9,ru;q=0.8')
  t.equal(kk.headers['content-language'], 'kk')
  t.match(kk.json(), { title: 'Өңдеуге болмайтын деректер', detail: /^ЖСН жарамсыз/ })
  const ru = await refused('ru-RU')
  t.equal(ru.headers['content-language'], 'ru')
  t.match(ru.json(), { title: 'Данные не могут быть обработаны', detail: /^ИИН неверен/ })
  const en = await refused('en-US,en;q=0.9')
  t.equal(en.headers['content-language'], 'en')
  t.match(en.json(), { title: 'Unprocessable content', detail: 'The IIN is not valid: 12 digits with a correct check digit' })
  t.equal((await refused('de-DE')).body.replace(/"requestId":"[^"]+"/, ''), plain.body.replace(/"requestId":"[^"]+"/, ''),
    'a language not ours: the document as without the header')
  for (const answer of [plain, kk, ru, en]) {
    const { title: _title, detail: _detail, requestId: _id, ...rest } = answer.json()
    t.same(rest, {
      type: 'https://docs.explus.kz/problems/invalid_iin',
      status: 422,
      code: 'invalid_iin',
      errors: [{ path: 'body.iin', message: 'invalid (checksum)' }]
    }, 'the same code, type, status and field errors')
    t.equal(answer.statusCode, 422)
  }

  const invalid = await app.inject({
    method: 'POST', url: '/v1/debts/lookup', headers: { 'accept-language': 'kk' }, payload: { contractNumber: payable.contract }
  })
  t.equal(invalid.statusCode, 400)
  t.match(invalid.json(), {
    code: 'validation_failed', title: 'Қате сұрау', detail: /^Сұрау сипаттамаға сәйкес келмейді/, errors: [{ path: 'body.iin' }]
  }, 'a validation error: the sentence translated, the field errors as they are')
  const noRoute = await app.inject({ method: 'GET', url: '/v1/nothing-here?x=1', headers: { 'accept-language': 'kk' } })
  t.match(noRoute.json(), { code: 'route_not_found', title: 'Табылмады', detail: 'GET /v1/nothing-here маршруты жоқ' })
  const mediaType = await app.inject({
    method: 'POST', url: '/v1/debts/lookup', headers: { 'accept-language': 'en', 'content-type': 'text/plain' }, payload: 'x'
  })
  // the media types a route takes are in the code's own words in every language: what an integrator needs to read
  t.match(mediaType.json(), { code: 'unsupported_media_type', title: 'Unsupported media type', detail: /application\/json/ })
  const ruMediaType = await app.inject({
    method: 'POST', url: '/v1/debts/lookup', headers: { 'accept-language': 'ru', 'content-type': 'text/plain' }, payload: 'x'
  })
  t.match(ruMediaType.json(), {
    code: 'unsupported_media_type', title: 'Неподдерживаемый тип данных', detail: /application\/json/
  })
  const missing = await lookup('NO-SUCH-CONTRACT', payable.iin)
  t.equal(missing.statusCode, 404)
  const missingKk = await app.inject({
    method: 'POST', url: '/v1/debts/lookup', headers: { 'accept-language': 'kk' }, payload: { contractNumber: 'NO-SUCH-CONTRACT', iin: payable.iin }
  })
  t.match(missingKk.json(), { code: 'debt_not_found', title: 'Табылмады', detail: /^Бұл шарт нөмірі мен ЖСН бойынша/ })
})

t.test('status changes are audit-logged; active and closed follow the outstanding amount', async (t) => {
  t.equal(recalling.statusCode, 200)
  t.match(recalling.json(), { status: 'recalled', outstanding: { amount: 0 } })
  const log = await app.inject({ method: 'GET', url: `/v1/admin/audit-log?entityType=debt&entityId=${recalling.json().id as string}`, headers: { authorization: operator.authorization } })
  t.match(log.json().data, [{ action: 'debt.status_changed', details: { from: 'active', to: 'recalled' } }])
  const closing = await setStatus(payable.contract, 'closed')
  t.equal(closing.statusCode, 409, 'a debt with something outstanding is not closed by hand')
  t.equal(closing.json().code, 'debt_status_follows_outstanding')
  const partner = await createKey(app, ['partner'])
  const forbidden = await app.inject({ method: 'PATCH', url: `/v1/admin/debts/${recalling.json().id as string}`, headers: { authorization: partner.authorization }, payload: { status: 'active' } })
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

t.test('IPv6 clients are counted per /64, IPv4-mapped addresses as their IPv4', async (t) => {
  // behind one trusted proxy, the client address comes from X-Forwarded-For
  const { app: strict } = await createTestApp(t, { LOOKUP_RATE_LIMIT_PER_MINUTE: '2', TRUST_PROXY: '1' })
  const from = async (address: string) => (await strict.inject({ method: 'POST', url: '/v1/debts/lookup', payload: { contractNumber: 'guess', iin: payable.iin }, remoteAddress: '10.0.0.1', headers: { 'x-forwarded-for': address } })).statusCode
  t.same([await from('2001:db8:1:2::5'), await from('2001:db8:1:2:ffff:1:2:3'), await from('2001:db8:1:2::9')], [404, 404, 429], 'one /64, one bucket')
  t.equal(await from('2001:db8:1:3::5'), 404, 'the next /64 is another client')
  t.same([await from('203.0.113.9'), await from('::ffff:203.0.113.9'), await from('203.0.113.9')], [404, 404, 429], 'IPv4 and its mapped form are one client')
  t.equal(await from('203.0.113.10'), 404, 'each IPv4 address is its own client')
})

t.test('a contract that sees repeated wrong IINs answers 404 to everyone for a while', async (t) => {
  const { app: guarded } = await createTestApp(t, { LOOKUP_RATE_LIMIT_PER_MINUTE: '1000', LOOKUP_FAILURES_PER_CONTRACT: '5', LOOKUP_CONTRACT_LOCK_SECONDS: '900' })
  const { seedDebt } = await import('../helpers/payments.js')
  const target = await seedDebt(guarded)
  const ask = (contractNumber: string, iin: string) => guarded.inject({ method: 'POST', url: '/v1/debts/lookup', payload: { contractNumber, iin } })
  const wrongIins = Array.from({ length: 5 }, (_, i) => makeIin(40_000 + i))

  for (const iin of wrongIins.slice(0, 4)) t.equal((await ask(target.contract, iin)).statusCode, 404)
  t.equal((await ask(target.contract, target.iin)).statusCode, 200, 'before the threshold the right IIN works')
  t.equal((await ask(target.contract, wrongIins[4]!)).statusCode, 404)
  // the hit did not reset the count: that was the fifth miss

  const locked = await ask(` ${target.contract.toLowerCase()} `, target.iin)
  const unknown = await ask('КД-NO-SUCH-CONTRACT', target.iin)
  t.equal(locked.statusCode, 404, 'locked: the right IIN gets the 404 too, however the number is written')
  const shape = (response: typeof locked) => {
    const { requestId: _requestId, ...body } = response.json()
    const headers = Object.fromEntries(Object.entries(response.headers).filter(([name]) => !['x-request-id', 'date', 'x-ratelimit-remaining', 'x-ratelimit-reset'].includes(name)))
    return { status: response.statusCode, body, headers }
  }
  t.same(shape(locked), shape(unknown), 'a locked contract answers exactly like an unknown one')
  t.equal(shape(locked).body.code, 'debt_not_found')

  const other = await seedDebt(guarded)
  t.equal((await ask(other.contract, other.iin)).statusCode, 200, 'other contracts are not affected')

  const { rows } = await sql<{ contract_key: string }>`select contract_key from lookup_contract_failures`.execute(guarded.db)
  t.notMatch(JSON.stringify(rows), new RegExp(target.contract.replace(/[^0-9]/g, '')), 'no clear contract number is stored')

  // the window passes (moved back in the database, no sleeping)
  await sql`update lookup_contract_failures set window_started_at = window_started_at - interval '901 seconds', locked_until = locked_until - interval '901 seconds', expires_at = expires_at - interval '901 seconds'`.execute(guarded.db)
  t.equal((await ask(target.contract, target.iin)).statusCode, 200, 'after the lock the debtor finds the debt again')
  t.equal((await ask(target.contract, wrongIins[0]!)).statusCode, 404)
  t.equal((await ask(target.contract, target.iin)).statusCode, 200, 'and the count starts afresh')
})

t.test('misses spread over more than the window never lock', async (t) => {
  const { app: guarded } = await createTestApp(t, { LOOKUP_RATE_LIMIT_PER_MINUTE: '1000', LOOKUP_FAILURES_PER_CONTRACT: '3', LOOKUP_CONTRACT_LOCK_SECONDS: '60' })
  const { seedDebt } = await import('../helpers/payments.js')
  const target = await seedDebt(guarded)
  const ask = (iin: string) => guarded.inject({ method: 'POST', url: '/v1/debts/lookup', payload: { contractNumber: target.contract, iin } })
  for (let i = 0; i < 6; i++) {
    t.equal((await ask(makeIin(50_000 + i))).statusCode, 404)
    // every second miss, the window is moved past its end
    if (i % 2 === 1) await sql`update lookup_contract_failures set window_started_at = window_started_at - interval '61 seconds'`.execute(guarded.db)
  }
  t.equal((await ask(target.iin)).statusCode, 200)
  const purged = await (await import('../../src/modules/debts/service.js')).purgeExpiredLookupFailures(guarded.db)
  t.equal(purged, 0, 'a live window is not purged')
  await sql`update lookup_contract_failures set expires_at = now() - interval '1 second'`.execute(guarded.db)
  t.equal(await (await import('../../src/modules/debts/service.js')).purgeExpiredLookupFailures(guarded.db), 1, 'an expired one is')
})
