import t from 'tap'
import { createKey } from '../helpers/app.js'
import { accept, createListeningApp, postJson, seedDebt, startPayment } from '../helpers/payments.js'

/**
 * DESIGN 16: no cache keeps a /v1 answer (a payment with its client secret, a receipt, a lookup, a key, a webhook
 * secret, back-office reads), but the offer and the agency's requisites, public and the same for everyone.
 */
const { app, base } = await createListeningApp(t, { RATE_LIMIT_PER_MINUTE: '100000' })
const admin = await createKey(app, ['admin'])
type Schema = Record<string, any>

const PUBLIC: Record<string, string> = {
  '/v1/offer': 'public, no-cache',
  '/v1/offer/versions/{version}': 'public, max-age=86400',
  '/v1/agency': 'public, max-age=300'
}

t.test('every /v1 read the document lists answers no-store, but the offer and the agency', async (t) => {
  const doc = app.swagger() as Schema
  const wrong: string[] = []
  let tried = 0
  for (const [path, item] of Object.entries(doc.paths as Record<string, Schema>)) {
    if (!path.startsWith('/v1/') || item.get === undefined) continue
    const url = path.replace('{version}', '1').replace(/\{[^}]+\}/g, 'x1')
    const response = await fetch(`${base}${url}`, { headers: { authorization: admin.authorization } })
    await response.arrayBuffer()
    tried++
    const expected = response.status < 400 ? PUBLIC[path] ?? 'no-store' : 'no-store'
    if (response.headers.get('cache-control') !== expected) wrong.push(`GET ${url} ${response.status}: ${response.headers.get('cache-control')}`)
  }
  t.ok(tried > 20, `${tried} reads`)
  t.same(wrong, [])
  t.equal((await fetch(`${base}/v1/offer`)).headers.get('cache-control'), 'public, no-cache', 'the offer, answered 200')
})

t.test('what is shown once or names a person is never kept', async (t) => {
  const debt = await seedDebt(app)
  const lookup = await postJson(`${base}/v1/debts/lookup`, { contractNumber: debt.contract, iin: debt.iin })
  t.equal(lookup.status, 200)
  t.equal(lookup.headers.get('cache-control'), 'no-store', 'a lookup names the debtor')
  const acceptance = await accept(base, debt.id)
  const payment = await startPayment(base, acceptance.id, 100_000)
  t.equal(payment.status, 201)
  t.equal(payment.headers.get('cache-control'), 'no-store', 'a payment carries its client secret')
  const key = await postJson(`${base}/v1/admin/api-keys`, { name: 'shown once', scopes: ['operator'] }, { authorization: admin.authorization })
  t.equal(key.status, 201)
  t.equal(key.headers.get('cache-control'), 'no-store', 'a new key is shown once')
})
