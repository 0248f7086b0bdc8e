import t, { type Test } from 'tap'
import { createHash, randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'
import { CHROMIUM, withoutChromium } from '../helpers/chromium.js'
import { createKey, eventually, startTestWorker } from '../helpers/app.js'
import { createListeningApp, PAYER, postJson, seedDebt, startPayment } from '../helpers/payments.js'
import { templateSource } from '../../src/modules/notifications/templates.js'
import type { Language } from '../../src/lib/languages.js'

/**
 * DESIGN 19, the whole flow in Kazakh and in English as a payer lives it: the offer in the language, its acceptance,
 * the payment on the bank's page and the way back to our result page in a real Chromium, the receipt, the agency's
 * answer to a refund request, the privacy code, and a refused request's problem: each in the language, with no text
 * of the Russian files in it. (Russian, the default, is what every other test reads.)
 */
const sha = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex')
const locale = (language: Language, surface: string): Record<string, string> =>
  JSON.parse(readFileSync(new URL(`../../src/locales/${language}/${surface}.json`, import.meta.url), 'utf8')) as never

/** The Russian words of a locale file that the other language writes otherwise (numbers and names aside). */
function russianOnly (surface: string, language: Language): string[] {
  const ru = locale('ru', surface)
  const other = locale(language, surface)
  return Object.entries(ru)
    .filter(([key, text]) => other[key] !== text && /[А-Яа-яЁё]{3}/.test(text))
    .flatMap(([, text]) => text.split(/\{\{[^}]+\}\}/))
    .map((piece) => piece.trim())
    .filter((piece) => /[А-Яа-яЁё]{3}/.test(piece) && piece.length >= 8)
}

/** The Russian lines of an email template (its text between placeholders). */
function russianMail (template: string): string[] {
  const pieces: string[] = []
  for (const source of [templateSource(template, 'ru'), templateSource('_footer', 'ru')]) {
    for (const line of source.replace(/^Subject:\s*/, '').split('\n')) {
      for (const piece of line.split(/\{\{[^}]+\}\}/)) if (/[А-Яа-яЁё]{3}/.test(piece.trim())) pieces.push(piece.trim())
    }
  }
  return pieces
}

/** A template's subject line as a pattern: its words, anything for each placeholder. */
function subjectOf (template: string, language: Language): RegExp {
  const line = (/^Subject:\s*(.*)$/m.exec(templateSource(template, language))?.[1] ?? '').trim()
  const words = line.split(/\{\{[^}]+\}\}/).map((piece) => piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  return new RegExp(`^${words.join('.+')}$`)
}

function noneOf (t: Test, text: string, russian: string[], what: string): void {
  t.same(russian.filter((piece) => text.includes(piece)), [], `${what}: no Russian text`)
}

t.test('the whole flow in kk and in en', { skip: withoutChromium(t) }, async (t) => {
  const { app, base, config } = await createListeningApp(t, { RISK_MAX_PAYMENTS_PER_HOUR_PER_IP: '1000' })
  await startTestWorker(t, app, config)
  const admin = await createKey(app, ['admin'])
  const operator = await createKey(app, ['operator'])
  const texts = { ru: 'Договор публичной оферты (ред. 2).\n', kk: 'Жария оферта шарты (2-ред.).\n', en: 'Public offer (rev. 2).\n' }
  const published = await postJson(`${base}/v1/admin/offers`, { title: 'Договор публичной оферты', texts },
    { authorization: admin.authorization })
  t.equal(published.status, 201)

  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync']
  })
  t.teardown(async () => { await browser.close() })

  async function mailTo (email: string, template: string): Promise<{ subject: string, text: string }> {
    return await eventually(async () => {
      const { messages } = await (await fetch(`${base}/sandbox/mailbox`)).json() as
        { messages: Array<{ template: string, to: string, subject: string, text: string }> }
      return messages.find((m) => m.to === email && m.template === template)
    })
  }

  for (const language of ['kk', 'en'] as const) {
    await t.test(language, async (t) => {
      const pages = locale(language, 'pages')
      const problems = locale(language, 'problems')
      const email = `flow.${language}@example.kz`

      // the offer in the language, and its acceptance
      const offer = await (await fetch(`${base}/v1/offer?lang=${language}`)).json() as
        { version: number, sha256: string, language: string, text: string }
      t.match(offer, { language, text: texts[language], sha256: sha(texts[language]) })
      const debt = await seedDebt(app, { outstanding: '50000.00' })
      const accepted = await postJson(`${base}/v1/offer-acceptances`, {
        offerVersion: offer.version, offerSha256: offer.sha256, offerLanguage: language, debtId: debt.id,
        payer: { ...PAYER, email }, personalDataConsent: true
      })
      t.equal(accepted.status, 201)
      const acceptance = await accepted.json() as { id: string, offerLanguage: string }
      t.equal(acceptance.offerLanguage, language)

      // the payment starts in the offer's language: the bank's page, then our result page, in Chromium
      const payment = await (await startPayment(base, acceptance.id, 1_234_500)).json() as
        { id: string, redirectUrl: string }
      const page = await browser.newPage()
      await page.goto(payment.redirectUrl)
      const bankPage = await page.textContent('body') ?? ''
      t.ok(bankPage.includes(pages['bank.notice'] as string), 'the bank\'s page in the language')
      noneOf(t, bankPage, russianOnly('pages', language), 'the bank\'s page')
      await page.fill('input[name=card_number]', '4111 1111 1111 1111')
      await page.fill('input[name=card_expiry]', '12/39')
      await page.fill('input[name=card_cvv]', '123')
      await page.fill('input[name=card_holder]', 'TEST PAYER')
      await Promise.all([page.waitForURL(/\/result/, { timeout: 15_000 }), page.click('button[value=pay]')])
      await eventually(async () => {
        await page.reload()
        return (await page.textContent('body'))?.includes(pages['result.succeeded.title'] as string)
      })
      t.equal(await page.getAttribute('html', 'lang'), language)
      const resultPage = await page.textContent('body') ?? ''
      t.ok(resultPage.includes(pages['result.succeeded.title'] as string), 'the result page in the language')
      noneOf(t, resultPage, russianOnly('pages', language), 'the result page')
      await page.close()

      // the receipt, and the agency's answer to a refund request, in the language
      const receipt = await mailTo(email, 'payment-receipt')
      t.match(receipt.subject, subjectOf('payment-receipt', language), 'the receipt\'s subject in the language')
      noneOf(t, `${receipt.subject}\n${receipt.text}`, russianMail('payment-receipt'), 'the receipt')
      const request = await (await postJson(`${base}/v1/refund-requests`,
        { paymentId: payment.id, email, amount: 100_000, reason: 'reason' })).json() as { id: string }
      const decided = await postJson(`${base}/v1/admin/refund-requests/${request.id}/decision`,
        { decision: 'approve', responseText: 'OK' }, { authorization: operator.authorization })
      t.equal(decided.status, 200)
      const answer = await mailTo(email, 'refund-request-approved')
      noneOf(t, `${answer.subject}\n${answer.text}`, russianMail('refund-request-approved'), 'the refund answer')

      // the privacy code, and a refused request
      const privacy = await postJson(`${base}/v1/privacy-requests`,
        { email: `privacy.${language}@example.kz`, fullName: 'Test Payer', language })
      t.equal(privacy.status, 201)
      const code = await mailTo(`privacy.${language}@example.kz`, 'privacy-verification-code')
      noneOf(t, `${code.subject}\n${code.text}`, russianMail('privacy-verification-code'), 'the privacy code')
      const refused = await fetch(`${base}/v1/debts/lookup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'accept-language': language, 'idempotency-key': randomUUID() },
        body: JSON.stringify({ contractNumber: debt.contract, iin: '871008401428' })
      })
      t.equal(refused.status, 422)
      t.equal(refused.headers.get('content-language'), language)
      const problem = await refused.json() as { code: string, title: string, detail: string }
      t.match(problem, { code: 'invalid_iin', title: problems['title.422'] })
      noneOf(t, `${problem.title}\n${problem.detail}`, russianOnly('problems', language), 'the problem')
    })
  }
})
