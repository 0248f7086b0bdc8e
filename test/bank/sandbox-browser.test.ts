import t from 'tap'
import { chromium } from 'playwright-core'
import { CHROMIUM, withoutChromium } from '../helpers/chromium.js'
import { paymentRequest, startMerchant, startSandbox } from './bank-fixtures.js'

/**
 * The hosted page in a real browser, under its own Content-Security-Policy:
 * the hashed stylesheet applies, no script is needed, and the browser may
 * follow the 303 after the form post to the merchant's other origin.
 * Skipped where no Chromium is installed (CI installs the Debian package, and fails without it).
 */
t.test('a customer pays on the hosted page and lands on the merchant\'s success page', { skip: withoutChromium(t) }, async (t) => {
  const merchant = await startMerchant(t)
  const sandbox = await startSandbox(t, { merchant })
  const request = paymentRequest(merchant, { successUrl: `${merchant.url}/paid?order=1` })
  const { redirectUrl } = await sandbox.acquirer.initPayment(request)

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
  t.teardown(async () => { await browser.close() })
  const page = await browser.newPage()
  const violations: string[] = []
  page.on('console', (message) => { if (/Content Security Policy/i.test(message.text())) violations.push(message.text()) })

  await page.goto(redirectUrl)
  t.equal(await page.evaluate('getComputedStyle(document.body).backgroundColor'), 'rgb(243, 245, 248)', 'the stylesheet is allowed by its hash')
  await page.fill('input[name=card_number]', '4111 1111 1111 1111')
  await page.fill('input[name=card_expiry]', '12/39')
  await page.fill('input[name=card_cvv]', '123')
  await page.fill('input[name=card_holder]', 'IVAN IVANOV')
  await Promise.all([page.waitForURL(`${merchant.url}/paid?order=1`, { timeout: 10_000 }), page.click('button[value=pay]')])

  t.equal(merchant.results.length, 1)
  t.equal(merchant.results[0]?.params.pg_result, '1')
  t.same(violations, [], 'nothing blocked by the policy')
})
