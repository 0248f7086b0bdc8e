import { createHash } from 'node:crypto'
import t from 'tap'
import { createAcquirer } from '../../src/bank/acquirer.js'
import {
  BankProtocolError, BankRejectedError, BankTimeoutError, BankUnavailableError, type InitPaymentRequest
} from '../../src/bank/provider.js'
import { signParams } from '../../src/bank/signature.js'
import { signedXml } from '../../src/bank/xml-signature.js'
import { buildXmlResponse } from '../../src/bank/xml.js'
import { MERCHANT_ID, SECRET, closedPortUrl, startFakeBank, type FakeAnswer } from './bank-fixtures.js'

/**
 * The adapter against banks that misbehave: what no honest bank (and so
 * not the sandbox) would answer. The happy paths run against the sandbox
 * in sandbox.test.ts.
 */
function md5 (text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex')
}

const request: InitPaymentRequest = {
  orderId: '23',
  amount: 2500n,
  currency: 'KZT',
  description: 'test',
  lifetimeSeconds: 1800,
  checkUrl: 'https://api.example.kz/v1/callbacks/bank/check',
  resultUrl: 'https://api.example.kz/v1/callbacks/bank/result',
  successUrl: 'https://agency.example.kz/ok',
  failureUrl: 'https://agency.example.kz/fail',
  userPhone: '+7 701 123-45-67'
}

const initOk = (fields: Record<string, string> = {}): string => signedXml('init_payment.php', {
  pg_status: 'ok', pg_payment_id: '4567788', pg_redirect_url: 'https://customer.freedompay.kz/pay.html?customer=4983', pg_redirect_url_type: 'need data', ...fields
}, SECRET)

async function acquirerAgainst (
  t: Parameters<typeof startFakeBank>[0],
  answer: (script: string, params: URLSearchParams) => FakeAnswer,
  timeoutMs = 2000
): Promise<{
  acquirer: ReturnType<typeof createAcquirer>
  requests: Array<{ script: string, params: URLSearchParams }>
}> {
  const bank = await startFakeBank(t, answer)
  return { acquirer: createAcquirer({ baseUrl: `${bank.url}/`, merchantId: MERCHANT_ID, secretKey: SECRET, timeoutMs }), requests: bank.requests }
}

t.test('init_payment.php is signed as the documented example: script, values by name, secret, joined by ;', async (t) => {
  const { acquirer, requests } = await acquirerAgainst(t, () => ({ body: initOk() }))
  t.same(await acquirer.initPayment(request), { bankPaymentId: '4567788', redirectUrl: 'https://customer.freedompay.kz/pay.html?customer=4983' })
  const sent = Object.fromEntries(requests[0]?.params ?? [])
  t.equal(requests[0]?.script, 'init_payment.php')
  t.match(sent, {
    pg_merchant_id: MERCHANT_ID,
    pg_order_id: '23',
    pg_amount: '25.00',
    pg_currency: 'KZT',
    pg_description: 'test',
    pg_lifetime: '1800',
    pg_request_method: 'POST',
    pg_user_phone: '77011234567',
    pg_salt: /^[0-9a-f]{32}$/
  })
  t.notOk('pg_user_contact_email' in sent, 'what we do not have is not sent (it would be signed empty)')
  const { pg_sig: signature, ...signed } = sent
  const values = Object.keys(signed).sort().map((name) => signed[name])
  t.equal(signature, md5(['init_payment.php', ...values, SECRET].join(';')), 'the documented rule, computed independently')
  t.equal(signature, signParams('init_payment.php', signed, SECRET))
  t.equal(md5(`init_payment.php;25;test;${MERCHANT_ID};23;molbulak;${SECRET}`),
    signParams('init_payment.php', { pg_order_id: '23', pg_merchant_id: MERCHANT_ID, pg_amount: '25', pg_description: 'test', pg_salt: 'molbulak' }, SECRET),
    'and the documented example itself')

  await acquirer.initPayment(request)
  t.not(requests[1]?.params.get('pg_salt'), requests[0]?.params.get('pg_salt'), 'a fresh salt every time')
})

t.test('the card page\'s language is pg_language, in Freedom Pay\'s codes: kk is kz; none sent, none signed', async (t) => {
  const { acquirer, requests } = await acquirerAgainst(t, () => ({ body: initOk() }))
  for (const [language, code] of [['kk', 'kz'], ['ru', 'ru'], ['en', 'en']] as const) {
    await acquirer.initPayment({ ...request, language })
    const sent = Object.fromEntries(requests.at(-1)?.params ?? [])
    t.equal(sent.pg_language, code, `${language} -> ${code}`)
    const { pg_sig: signature, ...signed } = sent
    t.equal(signature, signParams('init_payment.php', signed, SECRET), 'and it is signed')
  }
  await acquirer.initPayment(request)
  t.notOk(requests.at(-1)?.params.has('pg_language'), 'without a language the bank\'s default (ru)')
})

t.test('an answer whose signature does not verify is a BankProtocolError', async (t) => {
  const tampered = initOk().replace('4567788', '4567789')
  const { acquirer } = await acquirerAgainst(t, () => ({ body: tampered }))
  const error = await acquirer.initPayment(request).catch((caught: unknown) => caught)
  t.ok(error instanceof BankProtocolError)
  t.match(error, { code: 'bank_protocol_error', message: /pg_sig does not verify/ })

  const otherKey = signedXml('get_status3.php', { pg_status: 'ok', pg_payment_id: '1' }, 'someone else')
  const impostor = await acquirerAgainst(t, () => ({ body: otherKey }))
  t.rejects(impostor.acquirer.getStatus({ bankPaymentId: '1' }), BankProtocolError, 'signed with another key')

  const wrongScript = signedXml('init_payment.php', { pg_status: 'ok', pg_payment_id: '1' }, SECRET)
  const replayed = await acquirerAgainst(t, () => ({ body: wrongScript }))
  t.rejects(replayed.acquirer.getStatus({ bankPaymentId: '1' }), BankProtocolError, 'an answer signed for another script')
})

t.test('an unsigned answer may only say no', async (t) => {
  const unsignedOk = buildXmlResponse({ pg_status: 'ok', pg_payment_id: '4567788', pg_redirect_url: 'https://evil.example/pay' })
  const { acquirer } = await acquirerAgainst(t, () => ({ body: unsignedOk }))
  t.rejects(acquirer.initPayment(request), BankProtocolError)

  const refusal = buildXmlResponse({ pg_status: 'error', pg_error_code: '9998', pg_error_description: 'Некорректная подпись запроса' })
  const refusing = await acquirerAgainst(t, () => ({ body: refusal }))
  const error = await refusing.acquirer.initPayment(request).catch((caught: unknown) => caught)
  t.ok(error instanceof BankRejectedError)
  t.match(error, { code: 'bank_rejected', bankErrorCode: '9998', bankDescription: 'Некорректная подпись запроса' })
  const unsignedRefusal = await refusing.acquirer.refund({ bankPaymentId: '1', amount: 100n }).catch((caught: unknown) => caught)
  t.ok(unsignedRefusal instanceof BankUnavailableError, 'not a signed answer about the refund: its outcome is unknown, never a refusal')
  t.match(unsignedRefusal, { code: 'bank_unavailable', cause: { name: 'BankRejectedError', bankErrorCode: '9998' } })
  t.rejects(refusing.acquirer.getStatus({ bankPaymentId: '1' }), BankRejectedError)
})

t.test('a signed refusal of init_payment.php is a BankRejectedError with the bank\'s words', async (t) => {
  const { acquirer } = await acquirerAgainst(t, (script) => ({ body: signedXml(script, { pg_status: 'error', pg_error_code: '200', pg_error_description: 'Не хватает параметра' }, SECRET) }))
  t.rejects(acquirer.initPayment(request), { name: 'BankRejectedError', bankErrorCode: '200', bankDescription: 'Не хватает параметра' })
  t.rejects(acquirer.initPayment({ ...request, amount: 0n }), RangeError, 'a zero amount never leaves')
  t.rejects(acquirer.refund({ bankPaymentId: '1', amount: -1n }), RangeError)
})

t.test('revoke.php: only a signed refusal is `accepted: false`; an internal error (1000) is an unknown outcome', async (t) => {
  const answers: Record<string, string> = {
    '1': signedXml('revoke.php', { pg_status: 'ok', pg_refund_payment_id: '77' }, SECRET),
    '2': signedXml('revoke.php', { pg_status: 'error', pg_error_code: '490', pg_error_description: 'Отмена платежа невозможна' }, SECRET),
    '3': signedXml('revoke.php', { pg_status: 'error', pg_error_code: '1000', pg_error_description: 'Внутренняя ошибка' }, SECRET)
  }
  const { acquirer } = await acquirerAgainst(t, (_script, params) => ({ body: answers[params.get('pg_payment_id') ?? ''] ?? '' }))
  t.same(await acquirer.refund({ bankPaymentId: '1', amount: 100n }), { accepted: true, refundId: '77' })
  t.same(await acquirer.refund({ bankPaymentId: '2', amount: 100n }), { accepted: false, errorCode: '490', description: 'Отмена платежа невозможна' })
  const internal = await acquirer.refund({ bankPaymentId: '3', amount: 100n }).catch((caught: unknown) => caught)
  t.ok(internal instanceof BankUnavailableError && !(internal instanceof BankTimeoutError), 'the bank failed on its side: nothing is known')
})

t.test('non-2xx, garbage, a missing field, an unknown pg_status: the bank is unavailable', async (t) => {
  const answers: Array<[string, FakeAnswer]> = [
    ['HTTP 502', { status: 502, body: 'Bad gateway' }],
    ['not XML', { body: '<html>maintenance</html>' }],
    ['no redirect URL', { body: signedXml('init_payment.php', { pg_status: 'ok', pg_payment_id: '1' }, SECRET) }],
    ['a redirect that is not a web address', { body: initOk({ pg_redirect_url: 'javascript:alert(1)' }) }],
    ['an unknown pg_status', { body: signedXml('init_payment.php', { pg_status: 'maybe' }, SECRET) }]
  ]
  for (const [name, answer] of answers) {
    const { acquirer } = await acquirerAgainst(t, () => answer)
    const error = await acquirer.initPayment(request).catch((caught: unknown) => caught)
    t.ok(error instanceof BankUnavailableError && !(error instanceof BankTimeoutError), name)
    t.match(error, { code: 'bank_unavailable' }, name)
  }
})

t.test('network down: BankUnavailableError; no answer in time: BankTimeoutError, an unknown outcome', async (t) => {
  const down = createAcquirer({
    baseUrl: await closedPortUrl(),
    merchantId: MERCHANT_ID,
    secretKey: SECRET,
    timeoutMs: 2000
  })
  const refused = await down.refund({ bankPaymentId: '1', amount: 100n }).catch((caught: unknown) => caught)
  t.ok(refused instanceof BankUnavailableError && !(refused instanceof BankTimeoutError))
  t.match(refused, { code: 'bank_unavailable', cause: Error })

  // the fake bank never answers: only the acquirer's own timeout can end this call
  const { acquirer } = await acquirerAgainst(t, () => 'hang', 150)
  const late = await acquirer.refund({ bankPaymentId: '1', amount: 100n }).catch((caught: unknown) => caught)
  t.ok(late instanceof BankTimeoutError)
  t.ok(late instanceof BankUnavailableError, 'a timeout is a kind of unavailability')
  t.match(late, { code: 'bank_timeout', name: 'BankTimeoutError' })
})

t.test('the documented get_status3.php answer, nested refunds and all, verifies and reads as refunded', async (t) => {
  // signed the way the bank's PHP library signs XML: leaves named parent+tag+position, sorted
  const flat: Array<[string, string]> = [
    ['pg_status001', 'ok'], ['pg_payment_id002', '123456789'], ['pg_order_id003', '00102'], ['pg_can_reject004', '1'],
    ['pg_payment_method005', 'bankcard'], ['pg_amount006', '10'], ['pg_currency007', 'KZT'], ['pg_payment_status008', 'success'],
    ['pg_card_pan009', '5483-18XX-XXXX-0293'],
    ['pg_refund_payments010pg_refund_payment001pg_payment_id001', '123456790'],
    ['pg_refund_payments010pg_refund_payment001pg_payment_status002', 'success'],
    ['pg_refund_payments010pg_refund_payment001pg_amount003', '-10'],
    ['pg_refund_payments010pg_refund_payment001pg_payment_date004', '2023-05-31 16:26:36'],
    ['pg_refund_amount011', '-10'], ['pg_captured012', '1'], ['pg_create_date013', '2023-05-31 16:24:20'],
    ['pg_salt014', 'some random string']
  ]
  const signature = md5(['get_status3.php', ...flat.sort(([a], [b]) => (a < b ? -1 : 1)).map(([, value]) => value), SECRET].join(';'))
  const xml = `<?xml version="1.0" encoding="utf-8"?>
<response>
    <pg_status>ok</pg_status>
    <pg_payment_id>123456789</pg_payment_id>
    <pg_order_id>00102</pg_order_id>
    <pg_can_reject>1</pg_can_reject>
    <pg_payment_method>bankcard</pg_payment_method>
    <pg_amount>10</pg_amount>
    <pg_currency>KZT</pg_currency>
    <pg_payment_status>success</pg_payment_status>
    <pg_card_pan>5483-18XX-XXXX-0293</pg_card_pan>
    <pg_refund_payments>
        <pg_refund_payment>
            <pg_payment_id>123456790</pg_payment_id>
            <pg_payment_status>success</pg_payment_status>
            <pg_amount>-10</pg_amount>
            <pg_payment_date>2023-05-31 16:26:36</pg_payment_date>
        </pg_refund_payment>
    </pg_refund_payments>
    <pg_refund_amount>-10</pg_refund_amount>
    <pg_captured>1</pg_captured>
    <pg_create_date>2023-05-31 16:24:20</pg_create_date>
    <pg_salt>some random string</pg_salt>
    <pg_sig>${signature}</pg_sig>
</response>`
  const { acquirer, requests } = await acquirerAgainst(t, () => ({ body: xml }))
  t.same(await acquirer.getStatus({ bankPaymentId: '123456789' }), {
    bankPaymentId: '123456789',
    orderId: '00102',
    status: 'refunded',
    amount: 1000n,
    currency: 'KZT',
    refundedAmount: 1000n,
    cardMask: '5483-18XX-XXXX-0293',
    paidAt: null,
    failureCode: null
  })
  t.equal(requests[0]?.script, 'get_status3.php')
  t.equal(requests[0]?.params.get('pg_payment_id'), '123456789')

  const { acquirer: tamperedBank } = await acquirerAgainst(t, () => ({ body: xml.replace('<pg_amount>-10</pg_amount>', '<pg_amount>-1</pg_amount>') }))
  t.rejects(tamperedBank.getStatus({ bankPaymentId: '123456789' }), BankProtocolError, 'a nested value is signed too')
})

t.test('get_status3.php answers the adapter cannot act on', async (t) => {
  const status = (fields: Record<string, string>): FakeAnswer => ({
    body: signedXml('get_status3.php', { pg_status: 'ok', pg_payment_id: '1', pg_order_id: 'pay_1', pg_amount: '10.00', pg_currency: 'KZT', pg_payment_status: 'success', ...fields }, SECRET)
  })
  const cases: Array<[string, FakeAnswer]> = [
    ['an unknown pg_payment_status', status({ pg_payment_status: 'teleported' })],
    ['another payment', status({ pg_payment_id: '2' })],
    ['no amount', status({ pg_amount: '' })],
    ['a bad amount', status({ pg_amount: '1e3' })],
    ['no order id', { body: signedXml('get_status3.php', { pg_status: 'ok', pg_payment_id: '1', pg_amount: '1', pg_currency: 'KZT', pg_payment_status: 'success' }, SECRET) }]
  ]
  for (const [name, answer] of cases) {
    const { acquirer } = await acquirerAgainst(t, () => answer)
    t.rejects(acquirer.getStatus({ bankPaymentId: '1' }), BankUnavailableError, name)
  }
  const { acquirer } = await acquirerAgainst(t, () => status({ pg_payment_date: '2026-03-01 10:00:00', pg_refund_amount: '-2.50' }))
  t.match(await acquirer.getStatus({ bankPaymentId: '1' }), { status: 'partially_refunded', refundedAmount: 250n, paidAt: new Date('2026-03-01T05:00:00Z') }, 'bank time is UTC+5')
  const { acquirer: oddDate } = await acquirerAgainst(t, () => status({ pg_payment_date: '2026-13-45 10:00:00' }))
  t.match(await oddDate.getStatus({ bankPaymentId: '1' }), { status: 'succeeded', paidAt: null }, 'an impossible date is no date')
  const withoutOrder = await acquirerAgainst(t, () => ({ body: signedXml('get_status3.php', { pg_status: 'ok', pg_payment_id: '1', pg_amount: '1', pg_currency: 'KZT', pg_payment_status: 'pending' }, SECRET) }))
  t.match(await withoutOrder.acquirer.getStatus({ orderId: 'pay_1' }), { orderId: 'pay_1', status: 'pending' }, 'asked by order id, the order is known')
  const byOrder = await acquirerAgainst(t, () => status({ pg_order_id: 'pay_other' }))
  t.rejects(byOrder.acquirer.getStatus({ orderId: 'pay_1' }), BankUnavailableError, 'an answer about another order')
  const notFound = await acquirerAgainst(t, () => ({ body: signedXml('get_status3.php', { pg_status: 'error', pg_error_code: '11068', pg_error_description: 'Платеж не найден' }, SECRET) }))
  t.equal(await notFound.acquirer.getStatus({ orderId: 'pay_1' }), null, 'the live API\'s not-found code too')
})
