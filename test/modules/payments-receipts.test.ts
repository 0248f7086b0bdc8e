import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import t, { type Test } from 'tap'
import { sql } from 'kysely'
import { accept, createListeningApp, PAYER, seedDebt, startPayment, submitAtBank } from '../helpers/payments.js'
import { eventually } from '../helpers/app.js'
import { toPublicId, uuidv7 } from '../../src/lib/ids.js'

/**
 * A receipt names the payer, so only the holder of the payment's client
 * secret reads it; the payment itself and the payer's result page are
 * public and carry nothing personal (issue 8, item 6).
 */
const { app, base, config } = await createListeningApp(t)

interface Started { id: string, redirectUrl: string, clientSecret: string, debtId: string }

async function started (outstanding = '50000.00', amount = 1_500_000, extra: Record<string, unknown> = {}) {
  const debt = await seedDebt(app, { outstanding })
  const acceptance = await accept(base, debt.id)
  const response = await startPayment(base, acceptance.id, amount, undefined, extra)
  if (response.status !== 201) throw new Error(`payment refused: ${await response.text()}`)
  return { debt, payment: await response.json() as Started }
}

async function paid (amount = 1_500_000) {
  const story = await started('50000.00', amount)
  const answer = await submitAtBank(story.payment.redirectUrl)
  await eventually(async () => (await (await fetch(`${base}/v1/payments/${story.payment.id}`)).json() as { status: string }).status === 'succeeded')
  return { ...story, location: answer.headers.get('location') }
}

async function receipt (id: string, secret?: string) {
  const response = await fetch(`${base}/v1/payments/${id}/receipt`, { headers: secret === undefined ? {} : { 'x-client-secret': secret } })
  const body = await response.json() as Record<string, unknown>
  return { status: response.status, type: response.headers.get('content-type'), body }
}

/** A problem without its request id: what must be identical between two answers. */
function shape (answer: { status: number, type: string | null, body: Record<string, unknown> }) {
  const { requestId, ...rest } = answer.body
  return { status: answer.status, type: answer.type, body: rest, hasRequestId: typeof requestId === 'string' }
}

t.test('the receipt needs the client secret: without it 400, with a wrong one the 404 of an unknown payment', async (t) => {
  const { payment, debt } = await paid()
  const other = await paid(600_000)
  const unknown = shape(await receipt(toPublicId('payment', uuidv7()), 'pay_x_secret_y'))
  t.match(unknown, { status: 404, type: /^application\/problem\+json/, body: { code: 'payment_not_found' }, hasRequestId: true })

  const tampered = payment.clientSecret.slice(0, -1) + (payment.clientSecret.endsWith('A') ? 'B' : 'A')
  // DESIGN 23: the header is required; without it the answer is the same 400 for a known payment and an unknown one
  for (const id of [payment.id, toPublicId('payment', uuidv7())]) {
    const missing = await receipt(id)
    t.match(missing, { status: 400, body: { code: 'validation_failed' } }, 'no header: 400, the payment not looked at')
  }
  const wrong: Array<[string, string | undefined]> = [
    ['an empty one', ''],
    ['another payment\'s secret', other.payment.clientSecret],
    ['the right one with one character changed', tampered],
    ['the right one with a suffix', `${payment.clientSecret}x`],
    ['the payment id itself', payment.id]
  ]
  for (const [label, secret] of wrong) {
    t.same(shape(await receipt(payment.id, secret)), unknown, `${label}: the same answer as an unknown payment`)
  }

  const right = await receipt(payment.id, payment.clientSecret)
  t.equal(right.status, 200)
  t.match(right.body, { paymentId: payment.id, payerName: PAYER.fullName, contractNumber: debt.contract, amount: { amount: 1_500_000, currency: 'KZT' } })
  t.equal((await receipt(other.payment.id, other.payment.clientSecret)).status, 200, 'each payment opens with its own secret')
})

t.test('only a hash of the client secret is kept: not in the payment, not in the stored idempotent answer', async (t) => {
  const { payment } = await started()
  const rows = await sql<{ row: string }>`select row_to_json(p)::text as row from payments p`.execute(app.db)
  t.notOk(rows.rows.some((r) => r.row.includes(payment.clientSecret)), 'the payments table never holds the secret')
  const stored = await sql<{ body: string }>`select response_body as body from idempotency_keys where response_status = 201`.execute(app.db)
  t.ok(stored.rows.length > 0)
  const secretPart = payment.clientSecret.split('_secret_')[1] as string
  t.notOk(stored.rows.some((r) => r.body.includes(secretPart) || r.body.includes(payment.id)), 'the stored answer is encrypted at rest')
  t.ok(stored.rows.every((r) => app.pii.decrypt(r.body).startsWith('{')), 'and decrypts to the answer')
})

t.test('GET /v1/payments/{id} carries no personal data', async (t) => {
  const { payment, debt } = await paid()
  const response = await fetch(`${base}/v1/payments/${payment.id}`)
  const text = await response.text()
  const body = JSON.parse(text) as Record<string, unknown>
  t.same(Object.keys(body).sort(), ['amount', 'cardMask', 'channel', 'createdAt', 'currency', 'debtId', 'expiresAt', 'failureCode', 'id', 'overpaidAmount', 'paidAt', 'refundedAmount', 'status'])
  for (const personal of [PAYER.fullName, PAYER.email, PAYER.email.toLowerCase(), '7012345678', debt.iin, debt.name, debt.contract, '127.0.0.1', payment.clientSecret]) {
    t.notOk(text.includes(personal), `does not contain ${personal === payment.clientSecret ? 'the client secret' : 'a personal value'}`)
  }
})

t.test('without a returnUrl the payer comes back to a human page in Russian, not JSON', async (t) => {
  const { payment, location, debt } = await paid()
  t.ok(location !== null)
  const url = new URL(location as string)
  t.equal(url.origin + url.pathname, `${base}/v1/payments/${payment.id}/result`, 'the bank sends the payer to our result page')
  const page = await fetch(url)
  t.equal(page.status, 200)
  t.match(page.headers.get('content-type'), /^text\/html; charset=utf-8/)
  t.equal(page.headers.get('cache-control'), 'no-store')
  t.match(page.headers.get('content-security-policy'), /default-src 'none'.*form-action 'none'.*frame-ancestors 'none'/)
  t.notMatch(page.headers.get('content-security-policy'), /script-src|unsafe-inline/)
  const html = await page.text()
  t.match(html, /<html lang="ru">/)
  t.match(html, /Платёж выполнен/)
  t.match(html, /15\u00a0000,00\u00a0₸/, 'the amount in tenge')
  t.match(html, new RegExp(`<a class="back" href="${config.agency.website}">`), 'a way back to the agency\'s website')
  t.notMatch(html, /<script/i)
  const style = /<style>([^<]*)<\/style>/.exec(html)?.[1] ?? ''
  t.match(page.headers.get('content-security-policy'), `style-src 'sha256-${createHash('sha256').update(style).digest('base64')}'`, 'its one stylesheet is allowed by its hash, so a browser applies it')
  for (const personal of [PAYER.fullName, PAYER.email, debt.iin, debt.name, debt.contract, '411111', '4111 1111', '5555-55XX']) t.notOk(html.includes(personal), 'no personal data on the page')
})

t.test('a declined payment and one still awaiting the bank each say so; the URL\'s claims are not believed', async (t) => {
  const declined = await started('20000.00', 500_000)
  const back = await submitAtBank(declined.payment.redirectUrl, 'decline')
  const declinedPage = await (await fetch(back.headers.get('location') as string)).text()
  t.match(declinedPage, /Платёж не прошёл/)
  t.match(declinedPage, /деньги не списаны/)

  const waiting = await started('20000.00', 500_000)
  const pending = await fetch(`${base}/v1/payments/${waiting.payment.id}/result?paymentId=${waiting.payment.id}&result=success&pg_salt=x`)
  t.equal(pending.status, 200)
  const html = await pending.text()
  t.match(html, /Платёж обрабатывается/, '"result=success" in the URL does not make it paid')
  t.match(html, /<meta http-equiv="refresh" content="5">/, 'it reloads itself until the bank answers')

  const unknown = await fetch(`${base}/v1/payments/${toPublicId('payment', uuidv7())}/result`)
  t.equal(unknown.status, 404)
  t.match(await unknown.json(), { code: 'payment_not_found' })
})

t.test('our result page is used even when RETURN_URL_ALLOWED_HOSTS names only the agency\'s site', async (t) => {
  const strict = await createListeningApp(t, { RETURN_URL_ALLOWED_HOSTS: 'www.explus.kz' })
  const debt = await seedDebt(strict.app, { outstanding: '20000.00' })
  const acceptance = await accept(strict.base, debt.id)
  const response = await startPayment(strict.base, acceptance.id, 500_000)
  t.equal(response.status, 201)
  const payment = await response.json() as Started
  const back = await submitAtBank(payment.redirectUrl)
  t.match(back.headers.get('location'), `${strict.base}/v1/payments/${payment.id}/result?`)
  const refused = await startPayment(strict.base, acceptance.id, 500_000, undefined, { returnUrl: `${strict.base}/elsewhere` })
  t.equal(refused.status, 422, 'a caller\'s returnUrl is still checked')
})

/** The Russian words of our pages (src/locales/ru/pages.json): none may show on a page in another language. */
const ruPages = JSON.parse(readFileSync('src/locales/ru/pages.json', 'utf8')) as Record<string, string>
const russianWords = Object.values(ruPages).map((text) => text.split('{{')[0]?.trim() ?? '').filter((w) => w.length >= 6)
function noRussian (test: Test, html: string, label: string) {
  for (const words of russianWords) test.notOk(html.includes(words), `${label}: no Russian "${words}"`)
}

t.test('a payment started in Kazakh: the bank hears pg_language kz, its page and our result page speak Kazakh', async (t) => {
  const { payment } = await started('50000.00', 1_500_000, { language: 'kk' })
  const [row] = (await sql<{ params: Record<string, string> }>`
    select request_params as params from sandbox_bank_payments where order_id = ${payment.id}`.execute(app.db)).rows
  t.equal(row?.params.pg_language, 'kz', 'Freedom Pay\'s code for Kazakh')
  t.match(row?.params.pg_success_url, /[?&]lang=kk(&|$)/, 'our result page is asked for in Kazakh too')

  const bankPage = await (await fetch(payment.redirectUrl)).text()
  t.match(bankPage, /<html lang="kk">/)
  t.match(bankPage, 'Сынақ банкі (sandbox): ақша есептен шығарылмайды.')
  t.match(bankPage, /Карта нөмірі/)
  t.match(bankPage, /15\u00a0000,00\u00a0₸ төлеу/, 'the amount as Kazakh writes it, in the button')
  noRussian(t, bankPage, 'the bank\'s page')
  const wrongCard = await (await fetch(payment.redirectUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ action: 'pay', card_number: '1234', card_expiry: '12/39', card_holder: 'A', card_cvv: '123' }).toString()
  })).text()
  t.match(wrongCard, /Карта нөмірі қате енгізілді/, 'the form\'s error too')

  const back = await submitAtBank(payment.redirectUrl)
  const location = back.headers.get('location') as string
  t.match(new URL(location).searchParams.get('lang'), 'kk')
  await eventually(async () => (await (await fetch(`${base}/v1/payments/${payment.id}`)).json() as { status: string }).status === 'succeeded')
  const result = await fetch(location, { headers: { 'accept-language': 'en' } })
  t.equal(result.headers.get('content-language'), 'kk', '?lang before Accept-Language')
  t.match(result.headers.get('vary'), /accept-language/i)
  const html = await result.text()
  t.match(html, /<html lang="kk">/)
  t.match(html, /Төлем орындалды/)
  t.match(html, /<dt>Сома<\/dt><dd>15\u00a0000,00\u00a0₸<\/dd>/)
  t.match(html, /<dt>Төленген күні<\/dt><dd>\d\d\.\d\d\.\d{4}, \d\d:\d\d<\/dd>/, 'the date in Almaty time')
  noRussian(t, html, 'the result page')
})

t.test('the result page in English by Accept-Language; without either, Russian as before', async (t) => {
  const { payment } = await paid()
  const page = await fetch(`${base}/v1/payments/${payment.id}/result`, { headers: { 'accept-language': 'en-GB,en;q=0.9,ru;q=0.5' } })
  t.equal(page.headers.get('content-language'), 'en')
  const html = await page.text()
  t.match(html, /<html lang="en">/)
  t.match(html, /Payment complete/)
  t.match(html, /<dt>Amount<\/dt><dd>₸15,000.00<\/dd>/)
  noRussian(t, html, 'the English result page')
  const ru = await fetch(`${base}/v1/payments/${payment.id}/result`, { headers: { 'accept-language': 'de' } })
  t.equal(ru.headers.get('content-language'), 'ru', 'the header names none of ours: ru')
  t.match(await ru.text(), /<html lang="ru">.*Платёж выполнен/s)
  const kk = await fetch(`${base}/v1/payments/${payment.id}/result?lang=kk`, { headers: { 'accept-language': 'en' } })
  t.match(await kk.text(), /Төлем орындалды/, '?lang before the header')
  // DESIGN 23: `lang` is an enum of the supported languages (the service puts one of them in the URL it gives the bank)
  for (const lang of ['de', 'kk-KZ']) {
    const refused = await fetch(`${base}/v1/payments/${payment.id}/result?lang=${lang}`)
    t.equal(refused.status, 400, `?lang=${lang}`)
    t.match(await refused.json(), { code: 'validation_failed' })
  }
})
