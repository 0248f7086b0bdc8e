import t from 'tap'
import pg from 'pg'
import type { FastifyInstance } from 'fastify'
import { createKey, eventually, testConfig } from '../helpers/app.js'
import { buildApp } from '../../src/app.js'
import { createListeningApp, outstandingOf, seedDebt } from '../helpers/payments.js'
import { fromPublicId } from '../../src/lib/ids.js'
import { trialBalance } from '../../src/modules/ledger/service.js'

/**
 * Kaspi's check/pay channel over real HTTP (DESIGN 17): every request is answered 200 JSON in the protocol, a pay is
 * credited once per txn_id whatever repeats it (in parallel, after its answer was lost, after our deadline), and only
 * Kaspi's addresses are answered.
 */
const { app, base, databaseUrl } = await createListeningApp(t, { KASPI_MODE: 'sandbox', TRUST_PROXY: '127.0.0.1' })

async function codeOf (target: FastifyInstance, publicId: string): Promise<string> {
  const row = await target.db.selectFrom('debts').select('payment_code')
    .where('id', '=', fromPublicId('debt', publicId) as string).executeTakeFirstOrThrow()
  return row.payment_code
}

interface Answer { status: number, type: string | null, text: string, body: Record<string, unknown> }

async function kaspi (
  at: string, params: Record<string, string> | string, init: RequestInit = {}
): Promise<Answer> {
  const query = typeof params === 'string' ? params : new URLSearchParams(params).toString()
  const response = await fetch(`${at}/v1/channels/kaspi?${query}`, init)
  const text = await response.text()
  return { status: response.status, type: response.headers.get('content-type'), text, body: JSON.parse(text) }
}

async function paymentsOfTxn (txnId: string): Promise<Array<{ id: string, needs_review: boolean }>> {
  return await app.db.selectFrom('payments').select(['id', 'needs_review']).where('kaspi_txn_id', '=', txnId).execute()
}

async function entriesOfTxn (txnId: string): Promise<number> {
  const rows = await app.db.selectFrom('ledger_entries')
    .innerJoin('payments', 'payments.id', 'ledger_entries.payment_id')
    .select('ledger_entries.id').where('payments.kaspi_txn_id', '=', txnId).execute()
  return rows.length
}

/** A session of its own holding a pay's lock on its txn_id, as a pay still running would (payments/kaspi.ts). */
interface Held { waiting: () => Promise<boolean>, release: () => Promise<void> }
async function holdTxn (url: string, txnId: string): Promise<Held> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  await client.query('select pg_advisory_lock(hashtextextended($1, 0))', [`kaspi:${txnId}`])
  return {
    waiting: async () => (await client.query("select 1 from pg_locks where locktype = 'advisory' and not granted")).rowCount === 1,
    release: async () => { await client.end() }
  }
}

t.test('check shows the outstanding amount, the masked name, the creditor and the contract, never the IIN', async (t) => {
  const debt = await seedDebt(app, { outstanding: '1500.00', name: 'Сейтқали Айгүл Маратқызы' })
  const account = await codeOf(app, debt.id)
  const answer = await kaspi(base, { command: 'check', txn_id: '9001', account, sum: '1.00' })
  t.equal(answer.status, 200)
  t.match(answer.type, /^application\/json/)
  t.same(answer.body, {
    txn_id: '9001',
    result: 0,
    sum: '1500.00',
    fields: { debtor_name: 'С*** А*** М***', creditor: debt.creditor, contract_number: debt.contract }
  }, 'the sum of the request is ignored')
  t.notOk(answer.text.includes(debt.iin), 'no IIN')
  t.notOk(answer.text.includes('Сейтқали'), 'no full name')

  t.match((await kaspi(base, { command: 'check', txn_id: '9002', account: '00000000000' })).body, { result: 1, sum: '0.00' })
  t.match((await kaspi(base, { command: 'check', txn_id: '9003', account: 'abc' })).body, { result: 1 }, 'not a code')

  const recalled = await seedDebt(app, { outstanding: '100.00' })
  const admin = await createKey(app, ['admin'])
  const patched = await app.inject({
    method: 'PATCH', url: `/v1/admin/debts/${recalled.id}`, headers: { authorization: admin.authorization }, payload: { status: 'recalled' }
  })
  t.equal(patched.statusCode, 200)
  t.match((await kaspi(base, { command: 'check', txn_id: '9004', account: await codeOf(app, recalled.id) })).body, { result: 2 })
})

t.test('a txn_id paid 20 times in parallel over HTTP is credited once, every answer the same bytes', async (t) => {
  const debt = await seedDebt(app, { outstanding: '10000.00' })
  const params = { command: 'pay', txn_id: '7700001', account: await codeOf(app, debt.id), sum: '1500.00', txn_date: '20261125150211' }
  const answers = await Promise.all(Array.from({ length: 20 }, async () => await kaspi(base, params)))
  t.same(new Set(answers.map((a) => a.status)), new Set([200]))
  t.equal(new Set(answers.map((a) => a.text)).size, 1, 'one answer, byte for byte')
  t.match(answers[0]?.body, { txn_id: '7700001', prv_txn_id: /^\d{1,20}$/, result: 0, sum: '1500.00' })
  t.equal((await paymentsOfTxn('7700001')).length, 1, 'one payment')
  t.equal(await entriesOfTxn('7700001'), 1, 'one ledger entry')
  t.equal(await outstandingOf(app, debt.id), 1_000_000n - 150_000n, 'the sum, exactly')
  const paid = await app.db.selectFrom('payments').select(['paid_at', 'channel']).where('kaspi_txn_id', '=', '7700001')
    .executeTakeFirstOrThrow()
  t.same(paid, { paid_at: new Date('2026-11-25T10:02:11Z'), channel: 'kaspi' }, 'paid when Kaspi says, Almaty time')

  const later = await kaspi(base, { ...params, sum: '1.00' })
  t.equal(later.text, answers[0]?.text, 'a repeat days later, even with another sum, gets the stored answer')
  t.equal(await entriesOfTxn('7700001'), 1)
})

t.test('a pay whose answer never reached Kaspi is repeated: the stored answer, and still one entry', async (t) => {
  const debt = await seedDebt(app, { outstanding: '500.00' })
  const params = { command: 'pay', txn_id: '7700002', account: await codeOf(app, debt.id), sum: '200.00', txn_date: '20261125150211' }
  // our pay waits for the lock while Kaspi gives up on it: the answer is lost however the pay ends
  const held = await holdTxn(databaseUrl, '7700002')
  const aborted = new AbortController()
  const lost = kaspi(base, params, { signal: aborted.signal }).catch((err: unknown) => err)
  await eventually(held.waiting)
  aborted.abort()
  t.ok(await lost instanceof Error, 'Kaspi never got an answer')
  await held.release()
  // the pay committed after its client went away
  await eventually(async () => (await paymentsOfTxn('7700002')).length === 1)

  const repeat = await kaspi(base, params)
  t.match(repeat.body, { txn_id: '7700002', prv_txn_id: /^\d+$/, result: 0, sum: '200.00' })
  t.equal(await entriesOfTxn('7700002'), 1, 'one entry')
  t.equal((await kaspi(base, params)).text, repeat.text, 'and the same answer again')
  t.equal(await outstandingOf(app, debt.id), 30_000n)
})

t.test('a pay for a debt that closed meanwhile is credited, the excess held and flagged for review', async (t) => {
  const debt = await seedDebt(app, { outstanding: '100.00' })
  const account = await codeOf(app, debt.id)
  t.match((await kaspi(base, { command: 'pay', txn_id: '7700003', account, sum: '100.00' })).body, { result: 0 })
  t.match((await kaspi(base, { command: 'check', txn_id: '7700004', account })).body, { result: 3, sum: '0.00' }, 'nothing outstanding')
  t.match((await kaspi(base, { command: 'pay', txn_id: '7700004', account, sum: '50.5' })).body, { result: 0, sum: '50.50' },
    'Kaspi has taken the money: credited')
  t.match(await paymentsOfTxn('7700004'), [{ needs_review: true }])
  const payment = await app.db.selectFrom('payments').select(['overpaid_amount', 'review_reason'])
    .where('kaspi_txn_id', '=', '7700004').executeTakeFirstOrThrow()
  t.same(payment, { overpaid_amount: 5_050n, review_reason: 'overpaid' })
})

t.test('a missing or malformed parameter is result 5 with a comment, never a 4xx or 5xx', async (t) => {
  const debt = await seedDebt(app, { outstanding: '100.00' })
  const account = await codeOf(app, debt.id)
  const pay = `command=pay&txn_id=7700100&account=${account}`
  const cases: Array<[string, string, RegExp]> = [
    ['no parameters', '', /command is missing/],
    ['an unknown command', 'command=refund&txn_id=1&account=1', /check or pay/],
    ['no txn_id', `command=check&account=${account}`, /txn_id is missing/],
    ['an empty txn_id', `command=check&txn_id=&account=${account}`, /txn_id is missing/],
    ['a txn_id of 65 characters', `command=check&txn_id=${'1'.repeat(65)}&account=${account}`, /txn_id must be/],
    ['a txn_id with a space', `command=check&txn_id=1%202&account=${account}`, /txn_id must be/],
    ['a txn_id with a NUL', `command=check&txn_id=1%002&account=${account}`, /txn_id must be/],
    ['a txn_id not ASCII', `command=check&txn_id=%D0%B9&account=${account}`, /txn_id must be/],
    ['a txn_id given twice', `command=check&txn_id=1&txn_id=2&account=${account}`, /txn_id is given more than once/],
    ['no account', 'command=check&txn_id=1', /account is missing/],
    ['an account of control characters', 'command=check&txn_id=1&account=%0A', /account must be/],
    ['a pay without a sum', pay, /sum is missing/],
    ['a sum in tiyn', `${pay}&sum=1500.005`, /sum must be tenge/],
    ['a sum with a comma', `${pay}&sum=1500,00`, /sum must be tenge/],
    ['a negative sum', `${pay}&sum=-1.00`, /sum must be tenge/],
    ['an exponent', `${pay}&sum=1e3`, /sum must be tenge/],
    ['a zero sum', `${pay}&sum=0.00`, /sum must be positive/],
    ['a sum beyond any debt', `${pay}&sum=99999999999999999.00`, /sum must be tenge|larger/],
    ['a sum of 10 quadrillion tenge', `${pay}&sum=9999999999999999.00`, /larger than any debt/],
    ['a txn_date of another format', `${pay}&sum=1.00&txn_date=2026-11-25`, /txn_date must be/],
    ['a txn_date that is no day', `${pay}&sum=1.00&txn_date=20260230120000`, /txn_date must be/],
    ['a txn_date past midnight', `${pay}&sum=1.00&txn_date=20261125240000`, /txn_date must be/]
  ]
  for (const [name, query, comment] of cases) {
    const answer = await kaspi(base, query)
    t.equal(answer.status, 200, name)
    t.match(answer.body, { result: 5, sum: /^-?\d+\.\d{2}$/, comment }, name)
  }
  t.match((await kaspi(base, `command=check&txn_id=42&account=${account}&sum=nonsense&txn_date=x`)).body, { txn_id: '42', result: 0 },
    'check ignores sum and txn_date')
  t.equal((await paymentsOfTxn('7700100')).length, 0, 'nothing was paid')
})

t.test('only addresses in KASPI_ALLOWED_IPS are answered, the client address after TRUST_PROXY', async (t) => {
  const outside = await fetch(`${base}/v1/channels/kaspi?command=check&txn_id=1&account=1`, { headers: { 'x-forwarded-for': '203.0.113.9' } })
  t.equal(outside.status, 403)
  t.match(outside.headers.get('content-type'), /^application\/problem\+json/)
  t.match(await outside.json(), { code: 'forbidden' })
  const proxied = await fetch(`${base}/v1/channels/kaspi?command=check&txn_id=1&account=1`, { headers: { 'x-forwarded-for': '127.0.0.1' } })
  t.equal(proxied.status, 200, 'loopback through the trusted proxy')
  const head = await fetch(`${base}/v1/channels/kaspi?command=pay&txn_id=1&account=1&sum=1.00`, { method: 'HEAD' })
  t.equal(head.status, 404, 'a GET that pays has no HEAD twin')
})

t.test('each call is counted by command and result', async (t) => {
  const metrics = await (await fetch(`${base}/metrics`)).text()
  t.match(metrics, /debt_payments_kaspi_requests_total\{command="pay",result="0",role="all"\} \d+/)
  t.match(metrics, /debt_payments_kaspi_requests_total\{command="unknown",result="5",role="all"\} \d+/)
})

t.test('a pay still running at the deadline is answered "in progress", completes, and its repeat gets its answer', async (t) => {
  const late = await createListeningApp(t, {
    KASPI_MODE: 'sandbox',
    KASPI_ALLOWED_IPS: '203.0.113.0/24',
    TRUST_PROXY: '127.0.0.1',
    KASPI_DEADLINE_MS: '300',
    KASPI_RATE_LIMIT_PER_MINUTE: '5'
  })
  const fromKaspi = { headers: { 'x-forwarded-for': '203.0.113.10' } }
  const debt = await seedDebt(late.app, { outstanding: '100.00' })
  const params = { command: 'pay', txn_id: '7700200', account: await codeOf(late.app, debt.id), sum: '10.00' }
  const held = await holdTxn(late.databaseUrl, '7700200')
  const startedAt = Date.now()
  const first = await kaspi(late.base, params, fromKaspi)
  t.ok(Date.now() - startedAt < 5000, 'answered at the deadline, not when the lock gave up')
  t.match(first.body, { txn_id: '7700200', result: 4, sum: '10.00', comment: /repeat/ })
  await held.release()
  await eventually(async () => await outstandingOf(late.app, debt.id) === 9_000n)
  const repeat = await kaspi(late.base, params, fromKaspi)
  t.match(repeat.body, { result: 0, prv_txn_id: /^\d+$/ })
  t.match(await trialBalance(late.app.db), { total: 0, consistent: true }, 'the books tie out')

  t.test('another address is refused, the Kaspi sandbox\'s own calls too', async (t) => {
    const loopback = await fetch(`${late.base}/v1/channels/kaspi?command=check&txn_id=1&account=1`)
    t.equal(loopback.status, 403)
    const played = await fetch(`${late.base}/sandbox/kaspi/payments`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ account: '1', amount: 100 })
    })
    t.equal(played.status, 502)
    t.match(await played.json(), { code: 'kaspi_channel_unavailable', detail: /HTTP 403: is this address in KASPI_ALLOWED_IPS/ })
  })

  t.test('past KASPI_RATE_LIMIT_PER_MINUTE from one address, 429', async (t) => {
    const one = { headers: { 'x-forwarded-for': '203.0.113.77' } }
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) statuses.push((await fetch(`${late.base}/v1/channels/kaspi?command=check&txn_id=1&account=1`, one)).status)
    t.same(statuses, [200, 200, 200, 200, 200, 429])
  })
})

t.test('KASPI_MODE=off: no channel, no sandbox', async (t) => {
  // a deployment's default; what is not mounted needs no database (the pool connects lazily)
  const config = testConfig('postgres://unused@127.0.0.1:1/unused')
  t.equal(config.kaspi.mode, 'off')
  const off = await buildApp(config, { logger: false })
  t.teardown(async () => { await off.close() })
  const channel = await off.inject({ method: 'GET', url: '/v1/channels/kaspi?command=check&txn_id=1&account=1' })
  t.equal(channel.statusCode, 404)
  t.match(channel.json(), { code: 'route_not_found' })
  const sandbox = await off.inject({ method: 'POST', url: '/sandbox/kaspi/payments', payload: { account: '1', amount: 1 } })
  t.equal(sandbox.statusCode, 404)
})

t.test('no database: a check is result 5, a pay 4 (its outcome unknown, Kaspi repeats it), never a 500', async (t) => {
  const config = testConfig('postgres://unused@127.0.0.1:1/unused', { KASPI_MODE: 'sandbox' })
  const down = await buildApp(config, { logger: false })
  t.teardown(async () => { await down.close() })
  const check = await down.inject({ method: 'GET', url: '/v1/channels/kaspi?command=check&txn_id=1&account=12345678903' })
  t.equal(check.statusCode, 200)
  t.same(check.json(), { txn_id: '1', result: 5, sum: '0.00', comment: 'Temporarily unavailable, try again' })
  const pay = await down.inject({ method: 'GET', url: '/v1/channels/kaspi?command=pay&txn_id=2&account=12345678903&sum=10' })
  t.equal(pay.statusCode, 200)
  t.same(pay.json(), { txn_id: '2', result: 4, sum: '10.00', comment: 'In progress, repeat the request' })
})

t.test('the books tie out', async (t) => {
  t.match(await trialBalance(app.db), { total: 0, consistent: true })
})
