import t from 'tap'
import { sql } from 'kysely'
import { randomSalt, signParams } from '../../src/bank/signature.js'
import { parseXmlResponse } from '../../src/bank/xml.js'
import { verifyXmlSignature } from '../../src/bank/xml-signature.js'
import { createKey } from '../helpers/app.js'
import { accept, createListeningApp, seedDebt, startPayment, submitAtBank } from '../helpers/payments.js'

/**
 * The sandbox bank as the app mounts it is not a phishing kit: its secret is
 * public (BANK_SECRET_KEY's default), so anyone can sign an init_payment.php;
 * they still cannot send a payer from our address to their site, and nobody
 * without an admin key can break everyone's payments with a fault.
 */
const AGENCY_WEBSITE = 'https://www.explus.kz'
const { app, base, config } = await createListeningApp(t, { AGENCY_WEBSITE, RISK_MAX_PAYMENTS_PER_HOUR_PER_IP: '1000' })
const bankUrl = `${base}/sandbox/bank`
const admin = await createKey(app, ['admin'])
const operator = await createKey(app, ['operator'])

async function faults (method: 'POST' | 'DELETE', headers: Record<string, string>): Promise<Response> {
  if (method === 'DELETE') return await fetch(`${bankUrl}/faults`, { method, headers })
  const fault = JSON.stringify({ script: 'init_payment', mode: 'http_500', count: 1000 })
  const json = { 'content-type': 'application/json' }
  return await fetch(`${bankUrl}/faults`, { method, headers: { ...json, ...headers }, body: fault })
}

async function count (table: 'sandbox_bank_faults' | 'sandbox_bank_payments'): Promise<number> {
  return (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(app.db)).rows[0]?.n ?? -1
}

/** An init_payment.php as anyone holding the public sandbox secret can send it. */
async function init (params: Record<string, string>): Promise<Record<string, string> & { raw: string }> {
  const request: Record<string, string> = {
    pg_merchant_id: config.bank.merchantId,
    pg_order_id: `pay_${randomSalt().slice(0, 12)}`,
    pg_amount: '1.00',
    pg_description: 'Возврат переплаты: подтвердите карту',
    pg_salt: randomSalt(),
    ...params
  }
  request.pg_sig = signParams('init_payment.php', request, config.bank.secretKey)
  const response = await fetch(`${bankUrl}/init_payment.php`, { method: 'POST', body: new URLSearchParams(request) })
  const raw = await response.text()
  return { ...parseXmlResponse(raw), raw }
}

t.test('faults: no key is 401, an operator key 403, only an admin key arms (201) and clears (204) them', async (t) => {
  for (const method of ['POST', 'DELETE'] as const) {
    const none = await faults(method, {})
    t.equal(none.status, 401, `${method} without a key`)
    t.match(none.headers.get('content-type'), 'application/problem+json')
    t.match(await none.json(), { code: 'unauthenticated' })
    const unknown = await faults(method, { authorization: 'Bearer unknownkeyunknownkey' })
    t.match(await unknown.json(), { status: 401, code: 'unauthenticated' }, `${method} with an unknown key`)
    const weak = await faults(method, { authorization: operator.authorization })
    t.equal(weak.status, 403, `${method} with an operator key`)
    t.match(weak.headers.get('content-type'), 'application/problem+json')
    t.match(await weak.json(), { code: 'forbidden' })
  }
  const csv = await fetch(`${bankUrl}/faults`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'a,b' })
  t.equal(csv.status, 415, 'a media type the route does not take is 415, as on every route')
  t.equal(await count('sandbox_bank_faults'), 0, 'nothing was armed')

  const armed = await faults('POST', { authorization: admin.authorization })
  t.equal(armed.status, 201)
  t.match(await armed.json(), { faults: [{ script: 'init_payment', mode: 'http_500', remaining: 1000 }] })
  t.equal((await faults('DELETE', { authorization: operator.authorization })).status, 403)
  t.equal(await count('sandbox_bank_faults'), 1, 'an operator cannot clear it either')
  t.equal((await faults('DELETE', { authorization: admin.authorization })).status, 204)
  t.equal(await count('sandbox_bank_faults'), 0)
})

t.test('an init signed with the public secret cannot send the payer elsewhere: a signed error, no page', async (t) => {
  for (const name of ['pg_failure_url', 'pg_success_url']) {
    const answer = await init({ [name]: 'https://evil.example/phish' })
    t.match(answer, { pg_status: 'error', pg_error_code: '200', pg_error_description: new RegExp(`: ${name}$`) }, name)
    t.ok(verifyXmlSignature('init_payment.php', answer.raw, config.bank.secretKey), 'signed, as the bank answers')
    t.notOk('pg_redirect_url' in answer)
  }
  t.equal(await count('sandbox_bank_payments'), 0, 'no payment, so no page shows the text')
})

t.test('our own origin and the agency\'s website are where payers go back', async (t) => {
  const failure = `${AGENCY_WEBSITE}/pay/failed`
  const answer = await init({ pg_success_url: `${base}/v1/offer?from=bank`, pg_failure_url: failure })
  t.equal(answer.pg_status, 'ok')
  const declined = await submitAtBank(answer.pg_redirect_url as string, 'decline')
  t.equal(declined.status, 303)
  t.equal(declined.headers.get('location'), failure)
})

// What the service itself sends: RETURN_URL_ALLOWED_HOSTS compares hosts, the sandbox exact origins.
t.test('our payments: a returnUrl on either origin works; an allowed host elsewhere is refused', async (t) => {
  const debt = await seedDebt(app, { outstanding: '50000.00' })
  const own = await startPayment(base, (await accept(base, debt.id)).id, 100_000)
  t.equal(own.status, 201, 'without a returnUrl: our result page')
  const ownBack = await submitAtBank((await own.json() as { redirectUrl: string }).redirectUrl, 'decline')
  t.match(ownBack.headers.get('location'), `${base}/v1/payments/`)

  const returnUrl = `${AGENCY_WEBSITE}/pay/done`
  const website = await startPayment(base, (await accept(base, debt.id)).id, 100_000, undefined, { returnUrl })
  t.equal(website.status, 201, 'a returnUrl on the agency\'s website')
  const websiteBack = await submitAtBank((await website.json() as { redirectUrl: string }).redirectUrl, 'decline')
  t.match(websiteBack.headers.get('location'), `${AGENCY_WEBSITE}/pay/done?paymentId=`)

  // localhost is in RETURN_URL_ALLOWED_HOSTS by default, but http://localhost is neither origin: the sandbox refuses it
  const localhost = { returnUrl: 'http://localhost/pay/done' }
  const elsewhere = await startPayment(base, (await accept(base, debt.id)).id, 100_000, undefined, localhost)
  t.equal(elsewhere.status, 502)
  t.match(await elsewhere.json(), { code: 'bank_unavailable', paymentStatus: 'failed' })
})
