import t from 'tap'
import { chromium } from 'playwright-core'
import { CHROMIUM, withoutChromium } from '../helpers/chromium.js'
import { accept, createListeningApp, outstandingOf, postJson, seedDebt, startPayment } from '../helpers/payments.js'

/**
 * The whole flow as a payer lives it, in a real headless Chromium: the
 * site's calls, then the bank's hosted page, a click on Pay, and the way
 * back to the site. CI installs Debian's chromium; without it this skips (and fails in CI).
 */
t.test('a payer clicks Pay on the bank\'s page and comes back with the debt paid', { skip: withoutChromium(t) }, async (t) => {
  const { app, base } = await createListeningApp(t)
  const debt = await seedDebt(app, { outstanding: '30000.00' })
  const lookup = await postJson(`${base}/v1/debts/lookup`, { contractNumber: debt.contract, iin: debt.iin })
  t.equal(lookup.status, 200)
  const acceptance = await accept(base, debt.id)
  const payment = await (await startPayment(base, acceptance.id, 1_234_500, undefined, { returnUrl: `${base}/v1/agency?from=bank` })).json() as { id: string, redirectUrl: string }

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
  t.teardown(async () => { await browser.close() })
  const page = await browser.newPage()
  const blocked: string[] = []
  page.on('console', (message) => { if (/Content Security Policy|Refused/i.test(message.text())) blocked.push(message.text()) })

  await page.goto(payment.redirectUrl)
  t.match(await page.textContent('body'), /12\s?345[.,]00/, 'the page shows the amount in tenge')
  await page.fill('input[name=card_number]', '4111 1111 1111 1111')
  await page.fill('input[name=card_expiry]', '12/39')
  await page.fill('input[name=card_cvv]', '123')
  await page.fill('input[name=card_holder]', 'IVAN IVANOV')
  await Promise.all([page.waitForURL(/\/v1\/agency\?/, { timeout: 15_000 }), page.click('button[value=pay]')])

  const back = new URL(page.url())
  t.equal(back.searchParams.get('paymentId'), payment.id)
  t.equal(back.searchParams.get('result'), 'success')
  const state = await (await fetch(`${base}/v1/payments/${payment.id}`)).json() as Record<string, unknown>
  t.match(state, { status: 'succeeded', cardMask: '4111-11XX-XXXX-1111' })
  t.equal(await outstandingOf(app, debt.id), 3_000_000n - 1_234_500n)
  t.same(blocked, [], 'nothing blocked by a security policy')
})
