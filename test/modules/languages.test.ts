import t, { type Test } from 'tap'
import { createHash } from 'node:crypto'
import { createKey, eventually, startTestWorker } from '../helpers/app.js'
import { createListeningApp, PAYER, postJson, seedDebt, startPayment, submitAtBank } from '../helpers/payments.js'
import { fromPublicId } from '../../src/lib/ids.js'
import { LANGUAGES, type Language } from '../../src/lib/languages.js'
import {
  formatAlmatyTime, formatDate, formatTenge, PHRASES, phrasesOf, templateSource, TEMPLATES
} from '../../src/modules/notifications/templates.js'

/**
 * DESIGN 19: the offer's text per language, the acceptance of one of them, and every email in the language the
 * payer read the offer in (a privacy request's own `language`). Russian stays as it was.
 */
const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9.]*)\s*\}\}/g
const sha = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex')

function placeholders (text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1] as string))].sort()
}

t.test('every template and footer exists in kk, ru and en with the placeholders of the ru one', async (t) => {
  for (const name of [...TEMPLATES, '_footer']) {
    const ru = templateSource(name, 'ru')
    for (const language of LANGUAGES) {
      const text = templateSource(name, language)
      t.same(placeholders(text), placeholders(ru), `${language}/${name}: the same placeholders as ru`)
      if (name !== '_footer') t.match(text, /^Subject: \S/, `${language}/${name}: a subject line first`)
    }
  }
  for (const language of LANGUAGES) {
    t.same(Object.keys(phrasesOf(language)).sort(), [...PHRASES].sort(), `${language}/_phrases.json: every phrase, no other`)
  }
})

t.test('amounts, dates and times for the language, in Asia/Almaty; ru as before', async (t) => {
  t.equal(formatTenge('ru', 123456789n), '1\u00a0234\u00a0567,89\u00a0₸')
  t.equal(formatTenge('ru', 5n), '0,05\u00a0₸')
  t.equal(formatTenge('ru', -150000n), '−1\u00a0500,00\u00a0₸')
  t.equal(formatTenge('kk', 123456789n), '1\u00a0234\u00a0567,89\u00a0₸')
  t.equal(formatTenge('en', 123456789n), '₸1,234,567.89')
  t.equal(formatTenge('en', 9_999_999_999_999_999_99n), '₸9,999,999,999,999,999.99', 'exact: never through a float')
  const instant = new Date('2026-03-19T10:00:00Z')
  t.equal(formatAlmatyTime(instant, 'ru'), '19.03.2026 15:00 (время Алматы)')
  t.equal(formatAlmatyTime(instant, 'kk'), '19.03.2026 15:00 (Алматы уақыты)')
  t.equal(formatAlmatyTime(instant, 'en'), '19/03/2026 15:00 (Almaty time)')
  t.equal(formatDate('2026-03-31', 'ru'), '31.03.2026')
  t.equal(formatDate('2026-03-31', 'kk'), '31.03.2026')
  t.equal(formatDate('2026-03-31', 'en'), '31/03/2026')
})

/** The Russian wording of a template: each run of its text between placeholders that holds a letter. */
function russianFragments (name: string): string[] {
  const fragments = [...Object.values(phrasesOf('ru')).map(String)]
  for (const source of [templateSource(name, 'ru'), templateSource('_footer', 'ru')]) {
    for (const line of source.replace(/^Subject:\s*/, '').split('\n')) {
      for (const piece of line.split(PLACEHOLDER)) {
        const fragment = piece.trim()
        // the odd bits between placeholders are the placeholders' names: split() gives them back
        if (/[А-Яа-яЁё]{2}/.test(fragment)) fragments.push(fragment)
      }
    }
  }
  return fragments
}

const { app, base, config } = await createListeningApp(t, { RISK_MAX_PAYMENTS_PER_HOUR_PER_IP: '1000' })
await startTestWorker(t, app, config)
const admin = await createKey(app, ['admin'])

interface MailboxMessage { template: string, to: string, subject: string, text: string }
async function mailTo (email: string, template: string): Promise<MailboxMessage> {
  return await eventually(async () => {
    const { messages } = await (await fetch(`${base}/sandbox/mailbox`)).json() as { messages: MailboxMessage[] }
    return messages.find((m) => m.to === email && m.template === template)
  })
}

const ruText = 'Договор публичной оферты (ред. 2).\n'
const kkText = 'Жария оферта шарты (2-ред.).\n'
const enText = 'Public offer agreement (rev. 2).\n'
const published = await app.inject({
  method: 'POST',
  url: '/v1/admin/offers',
  headers: { authorization: admin.authorization },
  payload: { title: 'Договор публичной оферты', titles: { kk: 'Жария оферта шарты', en: 'Public offer' }, texts: { ru: ruText, kk: kkText, en: enText } }
})
const version = (published.json() as { version: number }).version

let people = 0
async function acceptIn (language: Language | undefined, offerSha256: string, offerVersion = version) {
  people++
  const debt = await seedDebt(app, { outstanding: '50000.00' })
  const payer = { ...PAYER, email: `lang.${people}@example.kz` }
  const body = { offerVersion, offerSha256, offerLanguage: language, debtId: debt.id, payer, personalDataConsent: true }
  const response = await postJson(`${base}/v1/offer-acceptances`, body)
  return { response, body: await response.json() as Record<string, unknown>, debt, email: payer.email }
}

t.test('an acceptance names the language and the sha256 of the text read', async (t) => {
  const kk = await acceptIn('kk', sha(kkText))
  t.equal(kk.response.status, 201)
  t.match(kk.body, { offerVersion: version, offerLanguage: 'kk' })
  const row = await app.db.selectFrom('acceptances').selectAll()
    .where('id', '=', fromPublicId('acceptance', kk.body.id as string) as string).executeTakeFirstOrThrow()
  t.match(row, { offer_language: 'kk', offer_sha256: sha(kkText), offer_version: version })

  const byDefault = await acceptIn(undefined, sha(ruText))
  t.match(byDefault.body, { offerLanguage: 'ru' }, 'ru by default')

  const ruShaAsKk = await acceptIn('kk', sha(ruText))
  t.equal(ruShaAsKk.response.status, 409, 'the ru text\'s hash is not the kk text\'s')
  t.match(ruShaAsKk.body, { code: 'offer_outdated', currentVersion: version, currentSha256: sha(kkText) })
  const oldVersion = await acceptIn('ru', (await (await fetch(`${base}/v1/offer/versions/1`)).json() as { sha256: string }).sha256, 1)
  t.equal(oldVersion.response.status, 409, 'an earlier version\'s text')
  t.match(oldVersion.body, { code: 'offer_outdated', currentVersion: version, currentSha256: sha(ruText) })
  const oldShaNewVersion = await acceptIn('ru', (await (await fetch(`${base}/v1/offer/versions/1`)).json() as { sha256: string }).sha256)
  t.equal(oldShaNewVersion.response.status, 409)
  const unknown = await acceptIn('de' as Language, sha(ruText))
  t.equal(unknown.response.status, 400)
  t.equal(unknown.body.code, 'validation_failed')
})

async function paidIn (language: Language, text: string) {
  const accepted = await acceptIn(language, sha(text))
  if (accepted.response.status !== 201) throw new Error(`acceptance refused: ${JSON.stringify(accepted.body)}`)
  const started = await startPayment(base, accepted.body.id as string, 1_500_000)
  const payment = await started.json() as { id: string, redirectUrl: string }
  await submitAtBank(payment.redirectUrl)
  return { ...accepted, payment }
}

function assertNoRussian (t: Test, mail: MailboxMessage, template: string): void {
  const russian = russianFragments(template).filter((fragment) => `${mail.subject}\n${mail.text}`.includes(fragment))
  t.same(russian, [], `${template}: no line of the Russian template`)
}

t.test('the receipt is in the language of the acceptance', async (t) => {
  const kk = await paidIn('kk', kkText)
  const kkMail = await mailTo(kk.email, 'payment-receipt')
  t.equal(kkMail.subject, `${kk.debt.contract} шарты бойынша төлем түбіртегі`)
  t.match(kkMail.text, 'Сәлеметсіз бе!')
  t.match(kkMail.text, 'Сома: 15\u00a0000,00\u00a0₸')
  t.match(kkMail.text, /Төлем күні мен уақыты: \d\d\.\d\d\.\d{4} \d\d:\d\d \(Алматы уақыты\)/)
  t.match(kkMail.text, 'Клиенттерге қызмет көрсету бөлімі:', 'the Kazakh footer')
  assertNoRussian(t, kkMail, 'payment-receipt')

  const en = await paidIn('en', enText)
  const enMail = await mailTo(en.email, 'payment-receipt')
  t.equal(enMail.subject, `Payment receipt for contract ${en.debt.contract}`)
  t.match(enMail.text, 'Amount: ₸15,000.00')
  t.match(enMail.text, /Date and time of payment: \d\d\/\d\d\/\d{4} \d\d:\d\d \(Almaty time\)/)
  t.match(enMail.text, 'Customer service:')
  assertNoRussian(t, enMail, 'payment-receipt')

  const ru = await paidIn('ru', ruText)
  const ruMail = await mailTo(ru.email, 'payment-receipt')
  t.equal(ruMail.subject, `Квитанция об оплате по договору ${ru.debt.contract}`, 'ru unchanged')
  t.match(ruMail.text, 'Сумма: 15\u00a0000,00\u00a0₸')
  t.match(ruMail.text, /Дата и время оплаты: \d\d\.\d\d\.\d{4} \d\d:\d\d \(время Алматы\)/)
  const found = russianFragments('payment-receipt').filter((f) => `${ruMail.subject}\n${ruMail.text}`.includes(f))
  t.ok(found.length > 20, 'the check above would see a Russian line: the ru receipt is made of them')

  // the refund request's acknowledgement follows the acceptance too
  const request = await postJson(`${base}/v1/refund-requests`, { paymentId: kk.payment.id, email: kk.email, amount: 200_000, reason: 'Артық' })
  t.equal(request.status, 201)
  const received = await mailTo(kk.email, 'refund-request-received')
  t.match(received.subject, 'қайтару туралы сұрау алынды')
  t.match(received.text, 'Қайтарылатын сома: 2\u00a0000,00\u00a0₸')
  assertNoRussian(t, received, 'refund-request-received')
})

t.test('a privacy request\'s emails are in its language', async (t) => {
  const en = await postJson(`${base}/v1/privacy-requests`, { email: 'privacy.en@example.kz', fullName: 'John Smith', language: 'en' })
  t.equal(en.status, 201)
  const code = await mailTo('privacy.en@example.kz', 'privacy-verification-code')
  t.match(code.subject, /^Verification code \d{6}: withdrawal of consent/)
  t.match(code.text, /The code is valid until \d\d\/\d\d\/\d{4} \d\d:\d\d \(Almaty time\)\./)
  assertNoRussian(t, code, 'privacy-verification-code')

  const kkRequest = await postJson(`${base}/v1/privacy-requests`, { email: 'privacy.kk@example.kz', fullName: 'Асқар Омаров', language: 'kk' })
  const kk = await mailTo('privacy.kk@example.kz', 'privacy-verification-code')
  t.match(kk.subject, /^Растау коды \d{6}:/)
  assertNoRussian(t, kk, 'privacy-verification-code')
  // verified, the data is destroyed and the confirmation comes in the request's language too
  const { id } = await kkRequest.json() as { id: string }
  const view = await fetch(`${base}/v1/admin/privacy-requests/${id}`, { headers: { authorization: admin.authorization } })
  t.match(await view.json(), { id, language: 'kk' }, 'operators see the request\'s language')
  const kkCode = /(\d{6})/.exec(kk.subject)?.[1] as string
  t.equal((await postJson(`${base}/v1/privacy-requests/${id}/verify`, { code: kkCode })).status, 200)
  const confirmation = await mailTo('privacy.kk@example.kz', 'privacy-destruction-confirmation')
  t.match(confirmation.subject, /^Дербес деректердің жойылғанын растау № /)
  t.match(confirmation.text, /Жойылған күні: \d\d\.\d\d\.\d{4} \d\d:\d\d \(Алматы уақыты\)/)
  assertNoRussian(t, confirmation, 'privacy-destruction-confirmation')

  await postJson(`${base}/v1/privacy-requests`, { email: 'privacy.ru@example.kz', fullName: 'Иванов Иван' })
  t.match((await mailTo('privacy.ru@example.kz', 'privacy-verification-code')).subject, /^Код подтверждения \d{6}:/, 'ru by default')

  const bad = await postJson(`${base}/v1/privacy-requests`, { email: 'privacy.x@example.kz', fullName: 'X', language: 'fr' })
  t.equal(bad.status, 400)
})
