import t from 'tap'
import { pino } from 'pino'
import { callbackReply, readCallback, unknownParams, verifyCallback } from '../../src/bank/callbacks.js'
import { checkParams, resultParams, type ResultOutcome } from '../../src/bank/sandbox/merchant-params.js'
import { PAYMENT_FAILURES } from '../../src/bank/sandbox/codes.js'
import type { SandboxPayment } from '../../src/bank/sandbox/types.js'
import { signParams } from '../../src/bank/signature.js'
import { parseXmlResponse } from '../../src/bank/xml.js'
import { signedParamsOfXml, verifyXmlSignature } from '../../src/bank/xml-signature.js'
import { attemptCallback } from '../../src/bank/sandbox/callbacks.js'
import { cardBrand, maskCard, readCard } from '../../src/bank/sandbox/card.js'
import { formatTenge } from '../../src/lib/i18n.js'
import { closedPortUrl, startFakeBank } from './bank-fixtures.js'

const SECRET = 'merchant-secret'

t.test('our reply to a callback is the signed four-field <response>', async (t) => {
  const xml = callbackReply('result', 'rejected', 'Долг погашен & закрыт', SECRET)
  t.match(xml, /^<\?xml version="1.0" encoding="utf-8"\?><response><pg_status>rejected<\/pg_status><pg_description>Долг погашен &amp; закрыт<\/pg_description><pg_salt>[0-9a-f]{32}<\/pg_salt><pg_sig>[0-9a-f]{32}<\/pg_sig><\/response>$/)
  const fields = parseXmlResponse(xml)
  t.equal(fields.pg_sig, signParams('result', { pg_status: 'rejected', pg_description: 'Долг погашен & закрыт', pg_salt: fields.pg_salt as string }, SECRET))
  t.ok(verifyXmlSignature('result', xml, SECRET))
  t.notOk(verifyXmlSignature('check', xml, SECRET), 'signed for its script only')
  t.not(parseXmlResponse(callbackReply('result', 'ok', '', SECRET)).pg_salt, fields.pg_salt, 'a fresh salt each time')
})

t.test('verifyCallback accepts the bank\'s signature over the raw parameters and nothing else', async (t) => {
  const params = { pg_order_id: 'pay_1', pg_payment_id: '700000001', pg_amount: '1500.00', pg_result: '1', pg_salt: 'abc', custom: 'x' }
  const signed = { ...params, pg_sig: signParams('result', params, SECRET) }
  t.ok(verifyCallback('result', signed, SECRET))
  t.notOk(verifyCallback('result', { ...signed, pg_amount: '15.00' }, SECRET))
  t.notOk(verifyCallback('check', signed, SECRET))
  t.notOk(verifyCallback('result', params, SECRET))
})

t.test('a callback is the bank\'s only with its script\'s names: the signature covers values, not names', async (t) => {
  const sign = (kind: 'check' | 'result', params: Record<string, string>): Record<string, string> =>
    ({ ...params, pg_sig: signParams(kind, params, SECRET) })
  const failure = {
    pg_order_id: 'pay_1', pg_amount: '1500.00', pg_currency: 'KZT', pg_result: '0', pg_salt: 'abc', pg_testing_mode: '1'
  }
  t.match(readCallback('result', sign('result', failure), SECRET), { verified: true, event: { outcome: 'failed' } })

  // the same values in the same name order, renamed so that pg_result takes pg_testing_mode's '1'
  const renamed = {
    pg_amount: '1500.00', pg_currency: 'KZT', pg_order_id: 'pay_1', pg_q: '0', pg_r: 'abc', pg_result: '1'
  }
  const replayed = { ...renamed, pg_sig: sign('result', failure).pg_sig as string }
  t.ok(verifyCallback('result', replayed, SECRET), 'the genuine pg_sig still verifies')
  const refused = { verified: false, reason: 'unknown parameter' }
  t.match(readCallback('result', replayed, SECRET), { ...refused, valuesSigned: true })
  t.same(unknownParams('result', replayed), ['pg_q', 'pg_r'])

  const forged = { ...renamed, pg_sig: '0'.repeat(32) }
  t.match(readCallback('result', forged, SECRET), { ...refused, valuesSigned: false },
    'the names are judged first: the answer never tells whether a signature would verify')
  const badSignature = { ...failure, pg_sig: '0'.repeat(32) }
  t.match(readCallback('result', badSignature, SECRET), { verified: false, reason: 'invalid signature' })
  t.match(readCallback('check', sign('check', failure), SECRET), refused,
    'pg_result is a result\'s name, not a check\'s')
})

t.test('what the sandbox bank sends stays within the names each script takes', async (t) => {
  const payment: SandboxPayment = {
    id: '700000001', merchantId: '552170', orderId: 'pay_1', amount: 150000n, currency: 'KZT', description: 'test',
    params: { pg_order_id: 'pay_1', pg_amount: '1500.00', pg_result_url: 'http://x/result' }, status: 'pending',
    cardMask: null, cardBrand: null, failureCode: null, failureDescription: null, refundedAmount: 0n,
    createdAt: new Date(), expiresAt: new Date(), paidAt: null
  }
  const card = { mask: '4111-11XX-XXXX-1111', brand: 'VI' }
  const salted = (params: Record<string, string>): Record<string, string> => ({ ...params, pg_salt: 's', pg_sig: 'x' })
  t.same(unknownParams('check', salted(checkParams(payment))), [])
  const outcomes: ResultOutcome[] = [
    { paid: true, paidAt: new Date(), card },
    { paid: false, failure: PAYMENT_FAILURES.cardDeclined, card },
    { paid: false, failure: PAYMENT_FAILURES.customerDeclined, card: null }
  ]
  for (const outcome of outcomes) t.same(unknownParams('result', salted(resultParams(payment, outcome))), [])
})

t.test('XML signatures: flat messages sign as parameters, pg_sig is never signed, a missing one never verifies', async (t) => {
  const xml = '<response><pg_status>ok</pg_status><pg_sig>x</pg_sig><pg_redirect_url>a&amp;b</pg_redirect_url><pg_redirect_url_type>need data</pg_redirect_url_type><pg_salt><![CDATA[s<1>]]></pg_salt></response>'
  t.same(signedParamsOfXml(xml), { pg_status001: 'ok', pg_redirect_url003: 'a&b', pg_redirect_url_type004: 'need data', pg_salt005: 's<1>' })
  t.notOk(verifyXmlSignature('x.php', '<response><pg_status>ok</pg_status></response>', SECRET))
  t.same(signedParamsOfXml('<response><a/><b><c/><!-- <d>1</d> --></b></response>'), { a001: '', b002c001: '' })
})

t.test('the card as the bank shows it', async (t) => {
  t.equal(maskCard('4111111111111111'), '4111-11XX-XXXX-1111')
  t.equal(maskCard('5483185555550293'), '5483-18XX-XXXX-0293')
  t.equal(maskCard('4000000000000000002'), '4000-00XX-XXXX-XXX0-002')
  t.equal(cardBrand('4111111111111111'), 'VI')
  t.equal(cardBrand('5555555555554444'), 'MC')
  t.equal(cardBrand('2221000000000009'), 'MC')
  t.equal(cardBrand('6011111111111117'), '')
  const now = new Date('2026-05-15T00:00:00Z')
  const form = { card_number: '4111-1111-1111-1111', card_expiry: '05/26', card_holder: 'A', card_cvv: '1234' }
  t.same(readCard(form, now), { card: { digits: '4111111111111111', mask: '4111-11XX-XXXX-1111', brand: 'VI' } }, 'this month still counts')
  t.match(readCard({ ...form, card_expiry: '04/2026' }, now), { error: 'bank.card.expiry' })
  t.match(readCard({ ...form, card_expiry: '13/30' }, now), { error: 'bank.card.expiry' })
  t.match(readCard({ ...form, card_number: '' }, now), { error: 'bank.card.number' })
  t.match(readCard({}, now), { error: 'bank.card.number' })
  t.equal(formatTenge('ru', 123456789n), '1\u00a0234\u00a0567,89\u00a0₸')
  t.equal(formatTenge('ru', 5n), '0,05\u00a0₸')
})

t.test('one callback attempt: a refused connection is logged without the query string or the parameters', async (t) => {
  const lines: string[] = []
  const log = pino({ level: 'info' }, { write: (line: string) => { lines.push(line) } })
  const url = `${await closedPortUrl()}/cb/result?token=secret`
  const result = await attemptCallback({ url, params: { pg_result: '1', custom: 'merchant-data-77011234567' }, secretKey: SECRET, timeoutMs: 500 }, log, 1)
  t.same(result, { delivered: false, reply: null, reason: 'ECONNREFUSED' })
  t.match(lines.join('\n'), 'callback not delivered')
  t.notMatch(lines.join('\n'), 'token=secret', 'no query string in the log')
  t.notMatch(lines.join('\n'), '77011234567', 'no parameters in the log')
})

t.test('an answer of 200 delivers it even when it is not the merchant\'s signed XML; that is logged', async (t) => {
  const lines: string[] = []
  const log = pino({ level: 'info' }, { write: (line: string) => { lines.push(line) } })
  const merchant = await startFakeBank(t, () => ({ body: 'OK' }))
  const result = await attemptCallback({ url: `${merchant.url}/cb/result`, params: { pg_result: '1' }, secretKey: SECRET, timeoutMs: 500 }, log, 1)
  t.match(result, { delivered: true, reply: { httpStatus: 200, status: null, signed: false } })
  t.equal(merchant.requests.length, 1)
  t.match(lines.join('\n'), 'not signed by the merchant')
  const ignored = await attemptCallback({ url: `${merchant.url}/cb/result`, params: { pg_result: '1' }, secretKey: SECRET, timeoutMs: 500 }, log, 2, { ignoreAnswer: true })
  t.match(ignored, { delivered: false, reason: /apply_then_timeout/ }, 'a lost answer is not a delivery')
  t.equal(merchant.requests.length, 2, 'though the merchant got it')
})
