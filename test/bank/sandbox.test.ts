import t from 'tap'
import Fastify from 'fastify'
import formbody from '@fastify/formbody'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { sql, type Kysely } from 'kysely'
import { sandboxBank } from '../../src/bank/sandbox/plugin.js'
import { BankRejectedError } from '../../src/bank/provider.js'
import { createAcquirer } from '../../src/bank/acquirer.js'
import { signParams } from '../../src/bank/signature.js'
import { parseXmlResponse } from '../../src/bank/xml.js'
import { verifyXmlSignature } from '../../src/bank/xml-signature.js'
import { insertPayment } from '../../src/bank/sandbox/repository.js'
import {
  AGENCY_WEBSITE, MERCHANT_ID, PAY_WITH, SECRET, closedPortUrl, paymentRequest, startMerchant, startSandbox, submitForm,
  type Sandbox
} from './bank-fixtures.js'
import { eventually } from '../helpers/app.js'

/**
 * The sandbox bank end to end: our acquirer adapter on one side, a merchant
 * answering callbacks on the other, a customer's browser in between, all
 * over real HTTP with the bank's ledger in real Postgres.
 */
const APPROVING = '4111 1111 1111 1111'
const DECLINING = '4000 0000 0000 0002'

async function signedPost (
  sandbox: Sandbox, script: string, params: Record<string, string>, secret = SECRET
): Promise<Record<string, string> & { raw: string }> {
  const request = { pg_merchant_id: MERCHANT_ID, pg_salt: 'test-salt', ...params }
  const response = await fetch(`${sandbox.bankUrl}/${script}`, { method: 'POST', body: new URLSearchParams({ ...request, pg_sig: signParams(script, request, secret) }) })
  const raw = await response.text()
  return { ...parseXmlResponse(raw), raw }
}

async function bankRow (sandbox: Sandbox, id: string): Promise<Record<string, unknown>> {
  const { rows } = await sql<Record<string, unknown>>`select * from sandbox_bank_payments where id = ${id}`.execute(sandbox.db)
  return rows[0] as Record<string, unknown>
}

t.test('a payment by the approving card: page, check, result, back to the merchant, and the bank says succeeded', async (t) => {
  const merchant = await startMerchant(t)
  const sandbox = await startSandbox(t, { merchant })
  const request = paymentRequest(merchant)
  const { bankPaymentId, redirectUrl } = await sandbox.acquirer.initPayment(request)
  t.match(bankPaymentId, /^\d{9}$/, 'a numeric bank payment id')
  t.equal(redirectUrl, `${sandbox.bankUrl}/pay/${bankPaymentId}`, 'an absolute URL of the hosted page')

  const page = await fetch(redirectUrl)
  t.equal(page.status, 200)
  const html = await page.text()
  t.match(html, '1\u00a0500,00\u00a0₸', 'the amount in tenge')
  t.match(html, 'ТОО «Эксперт Плюс» &lt;тест&gt;', 'the merchant, escaped')
  t.match(html, request.description)
  t.match(html, APPROVING)
  t.match(html, DECLINING)
  t.match(html, 'name="action" value="pay"')
  t.match(html, 'name="action" value="decline"')
  for (const field of ['card_number', 'card_expiry', 'card_holder', 'card_cvv']) t.match(html, `name="${field}"`)
  t.notMatch(html, /<script/i, 'no script at all')
  const csp = page.headers.get('content-security-policy') ?? ''
  t.match(csp, "default-src 'none'")
  t.match(csp, "form-action 'self' https://agency.example.kz", 'the form may post here and follow the 303 to the merchant')
  t.match(csp, /style-src 'sha256-[A-Za-z0-9+/]+=*'/, 'only its own stylesheet')
  t.equal(page.headers.get('cache-control'), 'no-store')

  const paid = await submitForm(redirectUrl, PAY_WITH(APPROVING))
  t.equal(paid.status, 303)
  t.equal(paid.headers.get('location'), request.successUrl)

  t.equal(merchant.checks.length, 1, 'one check callback')
  const check = merchant.checks[0]
  t.ok(check?.verified, 'signed for script "check"')
  t.match(check?.params, { pg_order_id: request.orderId, pg_payment_id: bankPaymentId, pg_amount: '1500.00', pg_currency: 'KZT', pg_salt: /.+/, pg_sig: /^[0-9a-f]{32}$/ })
  t.equal(merchant.results.length, 1, 'one result callback')
  const result = merchant.results[0]
  t.ok(result?.verified, 'signed for script "result"')
  t.match(result?.params, {
    pg_result: '1',
    pg_order_id: request.orderId,
    pg_payment_id: bankPaymentId,
    pg_amount: '1500.00',
    pg_currency: 'KZT',
    pg_card_pan: '4111-11XX-XXXX-1111',
    pg_card_brand: 'VI',
    pg_payment_date: /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/,
    pg_can_reject: '0',
    pg_captured: '1',
    pg_testing_mode: '1'
  })
  t.notOk(['pg_user_phone', 'pg_user_contact_email', 'pg_user_ip'].some((name) => name in (result?.params ?? {})), 'the sandbox keeps no personal data to echo')
  t.notOk('pg_failure_code' in (result?.params ?? {}))
  t.notOk('pg_card_exp' in (result?.params ?? {}) || 'pg_card_owner' in (result?.params ?? {}), 'no cardholder data')

  const status = await sandbox.acquirer.getStatus({ bankPaymentId })
  t.match(status, { bankPaymentId, orderId: request.orderId, status: 'succeeded', amount: 150000n, currency: 'KZT', refundedAmount: 0n, cardMask: '4111-11XX-XXXX-1111', failureCode: null })
  t.ok(status?.paidAt instanceof Date && Math.abs(status.paidAt.getTime() - Date.now()) < 60_000, 'paid just now (UTC+5 on the wire)')
  t.same(await sandbox.acquirer.getStatus({ orderId: request.orderId }), status, 'found by our order id too')

  const asText = (value: unknown): string => JSON.stringify(value, (_key, field: unknown) => typeof field === 'bigint' ? field.toString() : field)
  const row = asText(await bankRow(sandbox, bankPaymentId))
  t.match(row, '"card_mask":"4111-11XX-XXXX-1111"')
  const { rows: callbacks } = await sql`select * from sandbox_bank_callbacks`.execute(sandbox.db)
  const everything = row + asText(callbacks) + sandbox.logLines.join('\n')
  t.notMatch(everything, '4111111111111111', 'the card number is neither stored nor logged')
  t.notMatch(everything, APPROVING)
  for (const personal of ['77011234567', 'payer@example.kz', '192.0.2.10']) t.notMatch(everything, personal, 'no clear personal data stored or logged')

  const again = await submitForm(redirectUrl, PAY_WITH(APPROVING))
  t.equal(again.status, 303, 'paying a paid payment again only redirects')
  t.equal(again.headers.get('location'), request.successUrl)
  t.equal((await fetch(redirectUrl, { redirect: 'manual' })).headers.get('location'), request.successUrl, 'so does opening its page')
  t.equal(merchant.results.length, 1, 'and nobody is told twice')
})

t.test('Decline: the payment fails, the merchant hears pg_result=0, the customer goes to the failure URL', async (t) => {
  const merchant = await startMerchant(t)
  const sandbox = await startSandbox(t, { merchant })
  const request = paymentRequest(merchant, { failureUrl: 'https://agency.example.kz/оплата?итог=нет' })
  const { bankPaymentId, redirectUrl } = await sandbox.acquirer.initPayment(request)
  const declined = await submitForm(redirectUrl, { action: 'decline' })
  t.equal(declined.status, 303)
  t.equal(declined.headers.get('location'), new URL(request.failureUrl).href, 'percent-encoded for the Location header')
  t.equal(merchant.checks.length, 0, 'nothing to check')
  t.equal(merchant.results.length, 1)
  t.ok(merchant.results[0]?.verified)
  t.match(merchant.results[0]?.params, { pg_result: '0', pg_payment_id: bankPaymentId, pg_net_amount: '0.00', pg_failure_code: '400', pg_failure_description: /.+/ })
  t.notOk('pg_payment_date' in (merchant.results[0]?.params ?? {}))
  t.match(await sandbox.acquirer.getStatus({ bankPaymentId }), { status: 'failed', failureCode: '400', cardMask: null, paidAt: null })
  const payAfter = await submitForm(redirectUrl, PAY_WITH(APPROVING))
  t.equal(payAfter.headers.get('location'), new URL(request.failureUrl).href, 'a declined payment cannot be paid afterwards')
  t.equal(merchant.results.length, 1)
})

t.test('the declining test card fails without asking the merchant', async (t) => {
  const merchant = await startMerchant(t)
  const sandbox = await startSandbox(t, { merchant })
  const request = paymentRequest(merchant)
  const { bankPaymentId, redirectUrl } = await sandbox.acquirer.initPayment(request)
  const response = await submitForm(redirectUrl, PAY_WITH(DECLINING))
  t.equal(response.headers.get('location'), request.failureUrl)
  t.equal(merchant.checks.length, 0)
  t.match(merchant.results[0]?.params, { pg_result: '0', pg_failure_code: '470', pg_card_pan: '4000-00XX-XXXX-0002' })
  t.match(await sandbox.acquirer.getStatus({ bankPaymentId }), { status: 'failed', failureCode: '470', cardMask: '4000-00XX-XXXX-0002' })
})

t.test('a mistyped card is refused on the page and the payment stays open', async (t) => {
  const merchant = await startMerchant(t)
  const sandbox = await startSandbox(t, { merchant })
  const { bankPaymentId, redirectUrl } = await sandbox.acquirer.initPayment(paymentRequest(merchant))
  const cases: Array<[string, Record<string, string>]> = [
    ['a number failing Luhn', PAY_WITH('4111 1111 1111 1112')],
    ['an expired card', { ...PAY_WITH(APPROVING), card_expiry: '01/20' }],
    ['no holder', { ...PAY_WITH(APPROVING), card_holder: ' ' }],
    ['a short CVV', { ...PAY_WITH(APPROVING), card_cvv: '12' }]
  ]
  for (const [name, form] of cases) {
    const response = await submitForm(redirectUrl, form)
    t.equal(response.status, 422, name)
    const html = await response.text()
    t.match(html, 'class="error"', `${name}: says what is wrong`)
    t.notMatch(html, /<input[^>]*value=/, `${name}: never fills the form back in`)
    t.notMatch(html, '1111 1112', `${name}: never echoes the number`)
  }
  const unknownAction = await submitForm(redirectUrl, { action: 'refund' })
  t.equal(unknownAction.status, 400)
  t.match(await sandbox.acquirer.getStatus({ bankPaymentId }), { status: 'pending' })
  t.equal(merchant.checks.length + merchant.results.length, 0, 'the merchant hears nothing')
})

t.test('a merchant answering the check with rejected is not paid', async (t) => {
  const merchant = await startMerchant(t, { checkStatus: 'rejected', checkDescription: 'Долг уже погашен' })
  const sandbox = await startSandbox(t, { merchant })
  const request = paymentRequest(merchant)
  const { bankPaymentId, redirectUrl } = await sandbox.acquirer.initPayment(request)
  const response = await submitForm(redirectUrl, PAY_WITH(APPROVING))
  t.equal(response.headers.get('location'), request.failureUrl)
  t.equal(merchant.checks.length, 1)
  t.match(merchant.results[0]?.params, { pg_result: '0', pg_failure_code: '600', pg_failure_description: 'Долг уже погашен' })
  t.match(await sandbox.acquirer.getStatus({ bankPaymentId }), { status: 'failed', failureCode: '600' })
})

t.test('a check answered badly (error, or not 200) stops the payment too', async (t) => {
  const merchant = await startMerchant(t, { checkStatus: 'error' })
  const sandbox = await startSandbox(t, { merchant })
  const first = paymentRequest(merchant)
  const firstPayment = await sandbox.acquirer.initPayment(first)
  t.equal((await submitForm(firstPayment.redirectUrl, PAY_WITH(APPROVING))).headers.get('location'), first.failureUrl)
  const missing = paymentRequest(merchant, { checkUrl: `${merchant.url}/cb/nowhere` })
  const payment = await sandbox.acquirer.initPayment(missing)
  t.equal((await submitForm(payment.redirectUrl, PAY_WITH(APPROVING))).headers.get('location'), missing.failureUrl, 'a 404')
  t.match(await sandbox.acquirer.getStatus({ bankPaymentId: payment.bankPaymentId }), { status: 'failed', failureCode: '600' })

  const down = await closedPortUrl()
  const unreachable = await startSandbox(t, { callbackBaseUrl: down })
  const request = paymentRequest({ url: down }, { checkUrl: `${down}/cb/check`, resultUrl: `${down}/cb/result` })
  const offline = await unreachable.acquirer.initPayment(request)
  t.equal((await submitForm(offline.redirectUrl, PAY_WITH(APPROVING))).headers.get('location'), request.failureUrl, 'nobody listening')
  t.match(await unreachable.acquirer.getStatus({ bankPaymentId: offline.bankPaymentId }), { status: 'failed', failureCode: '600' })
})

t.test('a result answered 500 twice is retried from the database and delivered the third time', async (t) => {
  const merchant = await startMerchant(t, { resultHttpStatuses: [500, 500] })
  const sandbox = await startSandbox(t, { merchant, retryDelaysMs: [20, 50] })
  const request = paymentRequest(merchant)
  const { bankPaymentId, redirectUrl } = await sandbox.acquirer.initPayment(request)
  const response = await submitForm(redirectUrl, PAY_WITH(APPROVING))
  t.equal(response.headers.get('location'), request.successUrl, 'the customer does not wait for the retries')
  await eventually(async () => merchant.results.length === 3)
  const row = await eventually(async () => {
    const { rows } = await sql<{ attempts: number, delivered_at: Date | null, gave_up_at: Date | null, last_error: string | null }>`select attempts, delivered_at, gave_up_at, last_error from sandbox_bank_callbacks where payment_id = ${bankPaymentId}`.execute(sandbox.db)
    return rows[0]?.delivered_at instanceof Date ? rows[0] : undefined
  })
  t.match(row, { attempts: 3, gave_up_at: null, last_error: null }, 'three attempts, then delivered')
  t.ok(merchant.results.every((result) => result.verified && result.params.pg_result === '1'), 'each one signed, each one the same result')
  t.not(merchant.results[0]?.params.pg_salt, merchant.results[1]?.params.pg_salt, 'each attempt with a fresh salt')
  t.match(await sandbox.acquirer.getStatus({ bankPaymentId }), { status: 'succeeded' })
})

t.test('when our server is down the bank gives up on the result, and the payment stays paid at the bank', async (t) => {
  const down = await closedPortUrl()
  const sandbox = await startSandbox(t, { callbackBaseUrl: down, retryDelaysMs: [10, 10] })
  const request = paymentRequest({ url: down }, { checkUrl: '', resultUrl: `${down}/cb/result` })
  const { bankPaymentId, redirectUrl } = await sandbox.acquirer.initPayment(request)
  const response = await submitForm(redirectUrl, PAY_WITH(APPROVING))
  t.equal(response.headers.get('location'), request.successUrl, 'the customer still goes back')
  const row = await eventually(async () => {
    const { rows } = await sql<{ attempts: number, gave_up_at: Date | null, last_error: string }>`select attempts, gave_up_at, last_error from sandbox_bank_callbacks where payment_id = ${bankPaymentId}`.execute(sandbox.db)
    return rows[0]?.gave_up_at instanceof Date ? rows[0] : undefined
  })
  t.match(row, { attempts: 3, last_error: 'ECONNREFUSED' })
  t.match(await sandbox.acquirer.getStatus({ bankPaymentId }), { status: 'succeeded' }, 'get_status3 tells the truth')
  t.match(sandbox.logLines.join('\n'), 'callback given up')
})

t.test('two Pay clicks at once pay once', async (t) => {
  const merchant = await startMerchant(t, { checkDelayMs: 300 })
  const sandbox = await startSandbox(t, { merchant })
  const request = paymentRequest(merchant)
  const { bankPaymentId, redirectUrl } = await sandbox.acquirer.initPayment(request)
  const responses = await Promise.all([
    submitForm(redirectUrl, PAY_WITH(APPROVING)),
    submitForm(redirectUrl, PAY_WITH(APPROVING))
  ])
  t.equal(merchant.checks.length, 1, 'one check')
  t.equal(merchant.results.filter((result) => result.params.pg_result === '1').length, 1, 'one result with pg_result=1')
  t.equal(merchant.results.length, 1)
  const statuses = responses.map((response) => response.status).sort()
  t.ok(statuses.includes(303), 'the winner goes to the merchant')
  for (const response of responses) {
    if (response.status === 303) t.equal(response.headers.get('location'), request.successUrl)
    else {
      t.equal(response.status, 200)
      t.match(await response.text(), `content="2;url=/sandbox/bank/pay/${bankPaymentId}"`, 'the other waits on a page that looks again')
    }
  }
  t.equal((await fetch(redirectUrl, { redirect: 'manual' })).headers.get('location'), request.successUrl)
  t.match(await sandbox.acquirer.getStatus({ bankPaymentId }), { status: 'succeeded' })
})

t.test('refunds: part, then the rest, then nothing more', async (t) => {
  const merchant = await startMerchant(t)
  const sandbox = await startSandbox(t, { merchant })
  const { bankPaymentId, redirectUrl } = await sandbox.acquirer.initPayment(paymentRequest(merchant))

  const early = await sandbox.acquirer.refund({ bankPaymentId, amount: 100n })
  t.match(early, { accepted: false, errorCode: '490' }, 'nothing to refund before it is paid')
  await submitForm(redirectUrl, PAY_WITH(APPROVING))

  const tooMuch = await sandbox.acquirer.refund({ bankPaymentId, amount: 150001n })
  t.match(tooMuch, { accepted: false, errorCode: '490', description: /больше остатка/ }, 'never above the amount')

  const part = await sandbox.acquirer.refund({ bankPaymentId, amount: 50000n })
  t.match(part, { accepted: true, refundId: /^\d{9}$/ })
  t.not(part.refundId, bankPaymentId)
  t.match(await sandbox.acquirer.getStatus({ bankPaymentId }), { status: 'partially_refunded', refundedAmount: 50000n, amount: 150000n })

  const rest = await sandbox.acquirer.refund({ bankPaymentId, amount: 100000n })
  t.match(rest, { accepted: true })
  t.match(await sandbox.acquirer.getStatus({ bankPaymentId }), { status: 'refunded', refundedAmount: 150000n })

  const more = await sandbox.acquirer.refund({ bankPaymentId, amount: 1n })
  t.match(more, { accepted: false, errorCode: '490' })
  const { rows } = await sql<{ total: string }>`select sum(amount)::text as total from sandbox_bank_refunds where payment_id = ${bankPaymentId}`.execute(sandbox.db)
  t.equal(rows[0]?.total, '150000', 'the refunds add up to the payment, no more')

  t.match(await sandbox.acquirer.refund({ bankPaymentId: '999999999', amount: 100n }), { accepted: false, errorCode: '340' }, 'an unknown payment')
})

t.test('two refunds racing for the same money: one wins', async (t) => {
  const merchant = await startMerchant(t)
  const sandbox = await startSandbox(t, { merchant })
  const { bankPaymentId, redirectUrl } = await sandbox.acquirer.initPayment(paymentRequest(merchant))
  await submitForm(redirectUrl, PAY_WITH(APPROVING))
  const results = await Promise.all(
    [1, 2, 3].map(async () => await sandbox.acquirer.refund({ bankPaymentId, amount: 100000n }))
  )
  t.equal(results.filter((result) => result.accepted).length, 1)
  t.match(await sandbox.acquirer.getStatus({ bankPaymentId }), { refundedAmount: 100000n })
})

t.test('revoke.php without an amount returns what is left', async (t) => {
  const merchant = await startMerchant(t)
  const sandbox = await startSandbox(t, { merchant })
  const { bankPaymentId, redirectUrl } = await sandbox.acquirer.initPayment(paymentRequest(merchant))
  await submitForm(redirectUrl, PAY_WITH(APPROVING))
  await sandbox.acquirer.refund({ bankPaymentId, amount: 20000n })
  const answer = await signedPost(sandbox, 'revoke.php', { pg_payment_id: bankPaymentId })
  t.match(answer, { pg_status: 'ok', pg_refund_amount: '1300.00' })
  t.ok(verifyXmlSignature('revoke.php', answer.raw, SECRET))
  t.match(await signedPost(sandbox, 'revoke.php', { pg_payment_id: bankPaymentId, pg_refund_amount: '0' }), { pg_status: 'error', pg_error_code: '200' })
  t.match(await signedPost(sandbox, 'revoke.php', {}), { pg_status: 'error', pg_error_code: '200' })
})

t.test('a tampered request is refused, unsigned, with the bank\'s 9998', async (t) => {
  const sandbox = await startSandbox(t)
  const params = { pg_merchant_id: MERCHANT_ID, pg_order_id: 'pay_1', pg_amount: '1500.00', pg_description: 'test', pg_salt: 'molbulak' }
  const signature = signParams('init_payment.php', params, SECRET)
  const tampered = await fetch(`${sandbox.bankUrl}/init_payment.php`, { method: 'POST', body: new URLSearchParams({ ...params, pg_amount: '15.00', pg_sig: signature }) })
  t.equal(tampered.status, 200)
  const answer = parseXmlResponse(await tampered.text())
  t.same(answer, { pg_status: 'error', pg_error_code: '9998', pg_error_description: 'Некорректная подпись запроса' })

  const stranger = await signedPost(sandbox, 'init_payment.php', { pg_merchant_id: '1', pg_order_id: 'pay_1', pg_amount: '1', pg_description: 'x' })
  t.match(stranger, { pg_status: 'error', pg_error_code: '9998' })
  t.notOk('pg_sig' in stranger)
  const repeated = await fetch(`${sandbox.bankUrl}/get_status3.php`, { method: 'POST', body: 'pg_payment_id=1&pg_payment_id=2' , headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.match(parseXmlResponse(await repeated.text()), { pg_error_code: '9998' }, 'a repeated parameter cannot be signed unambiguously')
  const withNul = { ...params, pg_description: 'te\u0000st' }
  const nul = await fetch(`${sandbox.bankUrl}/init_payment.php`, { method: 'POST', body: new URLSearchParams({ ...withNul, pg_sig: signParams('init_payment.php', withNul, SECRET) }) })
  t.equal(nul.status, 200, 'a NUL, even signed, is refused without a 500')
  t.match(parseXmlResponse(await nul.text()), { pg_status: 'error', pg_error_code: '9998' })

  const wrongKey = createAcquirer({ baseUrl: sandbox.bankUrl, merchantId: MERCHANT_ID, secretKey: 'not-the-key', timeoutMs: 5000 })
  const error = await wrongKey.initPayment(paymentRequest({ url: 'http://127.0.0.1:9' })).catch((caught: unknown) => caught)
  t.ok(error instanceof BankRejectedError, 'our adapter reads it as a refusal')
  t.match(error, { code: 'bank_rejected', bankErrorCode: '9998' })
  const { rows } = await sql`select 1 from sandbox_bank_payments`.execute(sandbox.db)
  t.equal(rows.length, 0, 'nothing was stored')
})

t.test('init_payment.php refuses what it cannot take, signed', async (t) => {
  const sandbox = await startSandbox(t)
  const base = { pg_order_id: 'pay_1', pg_amount: '1500.00', pg_description: 'Погашение долга' }
  const refusals: Array<[string, Record<string, string>]> = [
    ['pg_amount', { ...base, pg_amount: '15,00' }],
    ['pg_amount', { ...base, pg_amount: '0' }],
    ['pg_order_id', { ...base, pg_order_id: '' }],
    ['pg_currency', { ...base, pg_currency: 'USD' }],
    ['pg_description', { ...base, pg_description: ' ' }],
    ['pg_lifetime', { ...base, pg_lifetime: '0' }],
    ['pg_result_url', { ...base, pg_result_url: 'javascript:alert(1)' }],
    ['pg_success_url', { ...base, pg_success_url: 'not an address' }],
    ['pg_request_method', { ...base, pg_request_method: 'GET' }]
  ]
  for (const [name, params] of refusals) {
    const answer = await signedPost(sandbox, 'init_payment.php', params)
    t.match(answer, { pg_status: 'error', pg_error_code: '200', pg_error_description: new RegExp(`${name}$`) }, name)
    t.ok(verifyXmlSignature('init_payment.php', answer.raw, SECRET), `${name}: the refusal is signed`)
  }
})

t.test('the payer goes back only to allowed origins: any other is a signed init error, no page', async (t) => {
  const merchant = await startMerchant(t)
  const sandbox = await startSandbox(t, { merchant })
  const base = { pg_amount: '1500.00', pg_description: 'Погашение долга' }
  const foreign = [
    'https://evil.example/phish',
    'https://agency.example.kz.evil.example/pay',
    'https://agency.example.kz@evil.example/pay',
    'https://evil.example\\@agency.example.kz/pay',
    'https://pay:pass@agency.example.kz/pay',
    'http://agency.example.kz/pay',
    'https://agency.example.kz:8443/pay',
    `${merchant.url.replace('127.0.0.1', 'localhost')}/back`,
    '//evil.example/pay',
    'javascript:alert(1)'
  ]
  let order = 0
  for (const name of ['pg_success_url', 'pg_failure_url']) {
    for (const url of foreign) {
      const params = { ...base, pg_order_id: `pay_${order++}`, [name]: url }
      const answer = await signedPost(sandbox, 'init_payment.php', params)
      const refusal = { pg_status: 'error', pg_error_code: '200', pg_error_description: new RegExp(`${name}$`) }
      t.match(answer, refusal, `${name} ${url}`)
      t.ok(verifyXmlSignature('init_payment.php', answer.raw, SECRET), 'signed')
      t.notOk('pg_redirect_url' in answer, 'no page to send anyone to')
    }
  }
  t.same((await sql`select 1 from sandbox_bank_payments`.execute(sandbox.db)).rows, [], 'no payment exists')

  const allowed: Array<[string, string]> = [
    [`${AGENCY_WEBSITE}/pay/ok`, `${merchant.url}/pay/failed?order=1`],
    ['HTTPS://Agency.Example.KZ:443/ok', `${AGENCY_WEBSITE}/оплата?итог=нет`]
  ]
  for (const [success, failure] of allowed) {
    const params = { ...base, pg_order_id: `pay_${order++}`, pg_success_url: success, pg_failure_url: failure }
    const answer = await signedPost(sandbox, 'init_payment.php', params)
    t.equal(answer.pg_status, 'ok', `${success} and ${failure}`)
    const declined = await submitForm(answer.pg_redirect_url as string, { action: 'decline' })
    t.equal(declined.status, 303)
    t.equal(declined.headers.get('location'), new URL(failure).href, 'the payer goes back there')
  }
})

t.test('a payment stored with a foreign return URL (before the rule) never sends its payer there', async (t) => {
  const sandbox = await startSandbox(t)
  const params = { pg_success_url: 'https://evil.example/paid', pg_failure_url: 'https://evil.example/phish' }
  const stored = await insertPayment(sandbox.db, {
    merchantId: MERCHANT_ID, orderId: 'pay_old', amount: 100000n, currency: 'KZT', description: 'Долг',
    lifetimeSeconds: 600, params
  })
  const pageUrl = `${sandbox.bankUrl}/pay/${stored.id}`
  const page = await fetch(pageUrl)
  t.equal(page.status, 200)
  t.notMatch(page.headers.get('content-security-policy'), 'evil.example', 'the form may not follow a redirect there')
  const declined = await submitForm(pageUrl, { action: 'decline' })
  t.equal(declined.status, 200, 'the bank\'s own final page, no redirect')
  t.equal(declined.headers.get('location'), null)
  t.notMatch(await declined.text(), 'evil.example')
})

t.test('every page says it is a test bank and shows the merchant\'s text only as text', async (t) => {
  const sandbox = await startSandbox(t)
  const description = '<a href="https://evil.example">Введите карту</a><script>alert(1)</script>'
  const params = { pg_order_id: 'pay_t', pg_amount: '10', pg_description: description }
  const answer = await signedPost(sandbox, 'init_payment.php', params)
  const html = await (await fetch(answer.pg_redirect_url as string)).text()
  t.match(html, /<title>[^<]* — тестовый банк<\/title>/, 'in its title')
  t.match(html, 'Тестовый банк (sandbox): деньги не списываются. Не вводите данные настоящей карты.', 'on the page')
  t.match(html, '&lt;a href=&quot;https://evil.example&quot;&gt;Введите карту&lt;/a&gt;&lt;script&gt;', 'escaped')
  t.notMatch(html, /<a |<script/i, 'no link and no script of the merchant\'s')
})

t.test('the page speaks pg_language: kz is Kazakh, en English; one it does not speak, Russian', async (t) => {
  const sandbox = await startSandbox(t)
  const pageIn = async (language: string | undefined, orderId: string) => {
    const params = { pg_order_id: orderId, pg_amount: '1500', pg_description: 'Debt', ...(language === undefined ? {} : { pg_language: language }) }
    const answer = await signedPost(sandbox, 'init_payment.php', params)
    return { url: answer.pg_redirect_url as string, html: await (await fetch(answer.pg_redirect_url as string)).text() }
  }
  const kk = await pageIn('kz', 'pay_kk')
  t.match(kk.html, /<html lang="kk">/)
  t.match(kk.html, /<title>Картамен төлеу — [^<]* — сынақ банкі<\/title>/)
  t.match(kk.html, '1\u00a0500,00\u00a0₸ төлеу')
  t.notMatch(kk.html, /Тестовый банк|Номер карты|Оплатить/)
  const en = await pageIn('en', 'pay_en')
  t.match(en.html, /<html lang="en">/)
  t.match(en.html, 'Test bank (sandbox): no money is charged. Do not enter a real card&#39;s details.')
  t.match(en.html, 'Pay ₸1,500.00')
  t.notMatch(en.html, /Тестовый банк|Номер карты|Оплатить/)
  const declined = await submitForm(en.url, { action: 'decline' })
  const final = await declined.text()
  t.match(final, /<h1>Payment failed<\/h1><p>Nothing was charged.<\/p>/, 'its final page too')
  t.notMatch(final, /[а-яё]{4}/i, 'not the protocol\'s Russian failure description')
  for (const [language, id] of [['uz', 'pay_uz'], [undefined, 'pay_none']] as const) {
    const ru = await pageIn(language, id)
    t.match(ru.html, /<html lang="ru">.*Оплатить 1\u00a0500,00\u00a0₸/s, `${language ?? 'none'}: ru`)
  }
})

t.test('a merchant without success or failure URLs gets the bank\'s own final page', async (t) => {
  const sandbox = await startSandbox(t)
  const answer = await signedPost(sandbox, 'init_payment.php', { pg_order_id: 'pay_2', pg_amount: '10', pg_description: '<b>Долг</b>', custom_field: 'echoed' })
  t.match(answer, { pg_status: 'ok', pg_redirect_url_type: 'need data' })
  const page = await (await fetch(answer.pg_redirect_url as string)).text()
  t.match(page, '&lt;b&gt;Долг&lt;/b&gt;', 'the description is escaped')
  t.match(page, '10,00\u00a0₸')
  const paid = await submitForm(answer.pg_redirect_url as string, PAY_WITH(APPROVING))
  t.equal(paid.status, 200)
  t.match(await paid.text(), 'Оплата прошла')
  const status = await signedPost(sandbox, 'get_status3.php', { pg_order_id: 'pay_2' })
  t.match(status, { pg_status: 'ok', pg_payment_status: 'success', pg_amount: '10.00', pg_card_pan: '4111-11XX-XXXX-1111', pg_captured: '1' })
  t.ok(verifyXmlSignature('get_status3.php', status.raw, SECRET))

  const unpaid = await signedPost(sandbox, 'init_payment.php', { pg_order_id: 'pay_3', pg_amount: '10', pg_description: 'Долг' })
  const declined = await submitForm(unpaid.pg_redirect_url as string, { action: 'decline' })
  t.equal(declined.status, 200)
  t.match(await declined.text(), 'Платеж отменен покупателем', 'the reason, on the bank\'s page')
})

t.test('a payment past its lifetime fails when next looked at, and the merchant hears 101', async (t) => {
  const merchant = await startMerchant(t)
  const sandbox = await startSandbox(t, { merchant })
  const request = paymentRequest(merchant)
  const { bankPaymentId, redirectUrl } = await sandbox.acquirer.initPayment(request)
  await sql`update sandbox_bank_payments set expires_at = now() - interval '1 second' where id = ${bankPaymentId}`.execute(sandbox.db)
  const page = await fetch(redirectUrl, { redirect: 'manual' })
  t.equal(page.status, 303)
  t.equal(page.headers.get('location'), request.failureUrl)
  t.match(merchant.results[0]?.params, { pg_result: '0', pg_failure_code: '101' })
  t.match(await sandbox.acquirer.getStatus({ bankPaymentId }), { status: 'failed', failureCode: '101' })

  const another = await sandbox.acquirer.initPayment(paymentRequest(merchant))
  await sql`update sandbox_bank_payments set expires_at = now() - interval '1 second' where id = ${another.bankPaymentId}`.execute(sandbox.db)
  t.match(await sandbox.acquirer.getStatus({ bankPaymentId: another.bankPaymentId }), { status: 'failed', failureCode: '101' }, 'get_status3 sees it too')
})

t.test('unknown payments', async (t) => {
  const sandbox = await startSandbox(t)
  t.equal(await sandbox.acquirer.getStatus({ bankPaymentId: '700999999' }), null)
  t.equal(await sandbox.acquirer.getStatus({ bankPaymentId: 'not-a-number' }), null)
  t.equal(await sandbox.acquirer.getStatus({ orderId: 'pay_unknown' }), null)
  t.match(await signedPost(sandbox, 'get_status3.php', {}), { pg_status: 'error', pg_error_code: '200' })
  const page = await fetch(`${sandbox.bankUrl}/pay/700999999`)
  t.equal(page.status, 404)
  t.match(await page.text(), 'Платеж не найден')
  t.equal((await submitForm(`${sandbox.bankUrl}/pay/700999999`, PAY_WITH(APPROVING))).status, 404)
})

t.test('the sandbox registers into an app with the TypeBox provider that already parses forms', async (t) => {
  const app = Fastify().withTypeProvider<TypeBoxTypeProvider>()
  await app.register(formbody)
  await app.register(sandboxBank, {
    prefix: '/sandbox/bank', db: {} as Kysely<any>, merchantId: MERCHANT_ID, secretKey: SECRET, merchantName: 'x',
    callbackBaseUrl: 'http://127.0.0.1:3000',
    returnOrigins: ['http://127.0.0.1:3000'],
    authorizeFaults: async () => { throw new Error('nobody arms faults here') }
  })
  await app.ready()
  t.ok(app.hasRoute({ method: 'POST', url: '/sandbox/bank/init_payment.php' }))
  t.ok(app.hasRoute({ method: 'GET', url: '/sandbox/bank/pay/:paymentId' }))
  await app.close()
})
