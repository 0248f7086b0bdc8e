import { createHash } from 'node:crypto'
import t from 'tap'
import { sql } from 'kysely'
import { createKey } from '../helpers/app.js'
import { fromPublicId } from '../../src/lib/ids.js'
import { accept, createListeningApp, resultParams, seedDebt, sendCallback, signedCallback, startPayment } from '../helpers/payments.js'
import { INVALID_PER_HOUR } from '../../src/modules/payments/callback-log.js'

/**
 * The callback URLs are public: whatever an anonymous sender does, they
 * answer without a 500, store a bounded amount, and keep their own rate
 * limit (issue 8, items 4 and 7).
 */
const { app, base, config } = await createListeningApp(t)
const operator = await createKey(app, ['operator'])
const secret = config.bank.secretKey

async function pendingPayment () {
  const debt = await seedDebt(app, { outstanding: '10000.00' })
  const acceptance = await accept(base, debt.id)
  return await (await startPayment(base, acceptance.id, 400_000)).json() as { id: string, amount: number }
}

async function callbackRows (): Promise<number> {
  const { rows } = await sql<{ n: string }>`select count(*)::text as n from bank_callbacks`.execute(app.db)
  return Number(rows[0]?.n)
}

async function statusOf (id: string): Promise<string> {
  return (await app.db.selectFrom('payments').select('status').where('id', '=', fromPublicId('payment', id) as string).executeTakeFirstOrThrow()).status
}

function problem (answer: { text: string }): Record<string, unknown> {
  return JSON.parse(answer.text) as Record<string, unknown>
}

t.test('a body over 16 KB is refused with 413 problem+json before anything is stored', async (t) => {
  const payment = await pendingPayment()
  const before = await callbackRows()
  const big = signedCallback('result', secret, resultParams(payment, { pg_description: 'x'.repeat(17 * 1024) }))
  const response = await fetch(`${base}/v1/callbacks/bank/result`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: big.toString() })
  t.equal(response.status, 413)
  t.match(response.headers.get('content-type'), /^application\/problem\+json/)
  t.match(await response.json(), { code: 'payload_too_large', status: 413 })
  t.equal(await callbackRows(), before)
  t.equal(await statusOf(payment.id), 'pending')

  const fits = await sendCallback(base, 'result', signedCallback('result', secret, resultParams(payment, { pg_description: 'x'.repeat(15 * 1024) })))
  t.equal(fits.status, 200, 'a bank callback under 16 KB is served')
  t.match(fits.text, /<pg_status>ok<\/pg_status>/)
})

t.test('NUL, a repeated parameter or a name that is not plain text: 400 validation_failed, never a 500, nothing stored', async (t) => {
  const payment = await pendingPayment()
  const before = await callbackRows()
  const honest = signedCallback('result', secret, resultParams(payment)).toString()
  const cases: Array<[string, string, string]> = [
    ['a NUL in a value', honest.replace(`pg_order_id=${payment.id}`, `pg_order_id=${payment.id}%00`), 'body.pg_order_id'],
    ['a NUL in a name', `${honest}&pg_x%00y=1`, 'body.pg_x\\u0000y'], // the NUL named, not echoed
    ['a repeated parameter', `${honest}&pg_salt=again`, 'body.pg_salt'],
    ['a name with a space', `${honest}&pg%20x=1`, 'body.pg x']
  ]
  for (const [label, body, path] of cases) {
    const answer = await sendCallback(base, 'result', body)
    t.equal(answer.status, 400, label)
    t.match(problem(answer), { code: 'validation_failed', errors: [{ path }] }, label)
  }
  // Even signed with the real secret: a NUL is never the bank's.
  const signedNul = await sendCallback(base, 'result', signedCallback('result', secret, resultParams(payment, { pg_description: 'a\u0000b' })))
  t.equal(signedNul.status, 400)
  const brokenEscape = await sendCallback(base, 'result', `${honest}&pg_description=%E0%A4%A`)
  t.ok(brokenEscape.status < 500, `a broken percent-escape: ${brokenEscape.status}`)
  t.equal(await callbackRows(), before + (brokenEscape.status === 200 ? 1 : 0))
  t.equal(await statusOf(payment.id), 'pending', 'nothing applied')
})

t.test('an invalid-signature callback is logged as a bounded digest; a valid one in full', async (t) => {
  const payment = await pendingPayment()
  const long = 'й'.repeat(2400)
  const forgedParams = resultParams(payment, { pg_description: long })
  const forged = signedCallback('result', 'not-the-secret', forgedParams)
  const answer = await sendCallback(base, 'result', forged)
  t.equal(answer.status, 200)
  t.match(answer.text, /<pg_status>error<\/pg_status>/)

  const rows = await app.db.selectFrom('bank_callbacks').selectAll().where('payment_id', '=', fromPublicId('payment', payment.id) as string).execute()
  t.equal(rows.length, 1)
  const row = rows[0] as (typeof rows)[number]
  t.ok(row.raw_encrypted.length < 6000, `a few KB at most (${row.raw_encrypted.length} characters for a ${forged.toString().length}-character body)`)
  const digest = JSON.parse(app.pii.decrypt(row.raw_encrypted)) as {
    params: Record<string, string>
    paramCount: number
    truncated: boolean
    sha256: string
  }
  const all = Object.fromEntries(forged.entries())
  const names = Object.keys(all).sort()
  t.same(Object.keys(digest.params), names, 'every parameter name is kept')
  t.equal(digest.params.pg_description, long.slice(0, 128), 'long values are cut')
  t.equal(digest.params.pg_order_id, payment.id)
  t.match(digest, { paramCount: names.length, truncated: true })
  t.equal(digest.sha256, createHash('sha256').update(JSON.stringify(names.map((n) => [n, all[n]]))).digest('hex'), 'with a SHA-256 of the whole')

  const detail = await (await fetch(`${base}/v1/admin/payments/${payment.id}`, { headers: { authorization: operator.authorization } })).json() as { timeline: Array<{ kind: string, signatureValid?: boolean, details: Record<string, any> }> }
  const logged = detail.timeline.filter((e) => e.kind === 'callback')
  t.match(logged, [{ signatureValid: false, details: { params: { pg_order_id: payment.id }, digest: { sha256: digest.sha256, truncated: true } } }], 'operators see the digest')

  const valid = signedCallback('result', secret, resultParams(payment, { pg_description: 'y'.repeat(8000) }))
  t.match((await sendCallback(base, 'result', valid)).text, /<pg_status>ok<\/pg_status>/)
  const stored = await app.db.selectFrom('bank_callbacks').select('raw_encrypted').where('payment_id', '=', fromPublicId('payment', payment.id) as string).where('signature_valid', '=', true).executeTakeFirstOrThrow()
  t.same(JSON.parse(app.pii.decrypt(stored.raw_encrypted)), Object.fromEntries(valid.entries()), 'a valid callback is kept raw, in full')
})

async function fillInvalid (count: number, age: string): Promise<void> {
  await sql`insert into bank_callbacks (kind, signature_valid, raw_encrypted, reply_status, reply_description, reply_xml, received_at)
    select 'result', false, ${app.pii.encrypt('{}')}, 'error', 'invalid signature', '<response/>', now() - ${age}::interval
    from generate_series(1, ${count})`.execute(app.db)
}

async function invalidRows (): Promise<number> {
  const { rows } = await sql<{ n: string }>`select count(*)::text as n from bank_callbacks where not signature_valid`.execute(app.db)
  return Number(rows[0]?.n)
}

t.test(`at most ${INVALID_PER_HOUR} invalid callbacks are logged an hour; the rest are answered, not stored`, async (t) => {
  const payment = await pendingPayment()
  const { rows } = await sql<{ n: string }>`select count(*)::text as n from bank_callbacks where not signature_valid and received_at > now() - interval '1 hour'`.execute(app.db)
  await fillInvalid(INVALID_PER_HOUR - Number(rows[0]?.n), '1 minute')
  const full = await invalidRows()
  const answer = await sendCallback(base, 'result', signedCallback('result', 'forged', resultParams(payment)))
  t.match(answer.text, /<pg_status>error<\/pg_status>/, 'the sender still gets its signed error')
  t.equal(await invalidRows(), full, 'not stored: the hour\'s quota is spent')

  await sql`update bank_callbacks set received_at = received_at - interval '2 hours' where not signature_valid`.execute(app.db)
  await sendCallback(base, 'result', signedCallback('result', 'forged', resultParams(payment)))
  t.equal(await invalidRows(), full + 1, 'logged again once the hour has passed')
})

t.test('invalid callbacks older than 30 days are dropped; valid ones are kept', async (t) => {
  const payment = await pendingPayment()
  await sendCallback(base, 'result', signedCallback('result', secret, resultParams(payment)))
  await sql`update bank_callbacks set received_at = now() - interval '31 days'`.execute(app.db)
  const valid = await sql<{ n: string }>`select count(*)::text as n from bank_callbacks where signature_valid`.execute(app.db)
  t.ok(Number(valid.rows[0]?.n) > 0)
  await fillInvalid(3, '29 days')

  await sendCallback(base, 'check', signedCallback('check', 'forged', { pg_order_id: payment.id }))
  const left = await sql<{ valid: boolean, old: boolean, n: string }>`
    select signature_valid as valid, received_at < now() - interval '30 days' as old, count(*)::text as n
    from bank_callbacks group by 1, 2 order by 1, 2`.execute(app.db)
  t.same(
    left.rows.map((r) => [r.valid, r.old, Number(r.n)]),
    [[false, false, 4], [true, true, Number(valid.rows[0]?.n)]]
  )
})

t.test('the callbacks have their own per-IP rate limit, apart from the global one', async (t) => {
  const limited = await createListeningApp(t, { CALLBACK_RATE_LIMIT_PER_MINUTE: '3', RATE_LIMIT_PER_MINUTE: '1' })
  const forged = signedCallback('result', 'forged', { pg_order_id: 'pay_00000000000000000000000000000000' })
  const answers = []
  for (let i = 0; i < 4; i++) answers.push(await sendCallback(limited.base, 'result', forged))
  t.same(answers.map((a) => a.status), [200, 200, 200, 429], 'three a minute, not the global one')
  t.match(problem(answers[3] as { text: string }), { code: 'rate_limited', status: 429 })
  const response = await fetch(`${limited.base}/v1/callbacks/bank/result`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: forged.toString() })
  t.match(response.headers.get('content-type'), /^application\/problem\+json/)
  t.match(response.headers.get('retry-after'), /^\d+$/)
  t.equal((await sendCallback(limited.base, 'check', forged)).status, 200, 'each callback route counts on its own')
})
