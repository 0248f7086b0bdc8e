import t from 'tap'
import { createKey, startTestWorker } from '../helpers/app.js'
import { importPortfolio, makeRow } from '../helpers/portfolio.js'
import { accept, createListeningApp, outstandingOf, postJson, startPayment, submitAtBank } from '../helpers/payments.js'

/**
 * A contract number is not card data, whatever its digits: a debtor whose
 * contract is 16 Luhn-valid digits (shaped like a test card) imports, looks
 * up, accepts and pays like anyone else, over real HTTP.
 */
const { app, base, config } = await createListeningApp(t)
await startTestWorker(t, app, config)
const operator = await createKey(app, ['operator'])

t.test('a debtor whose contract number is a Luhn-valid 16-digit number can look up and pay', async (t) => {
  const contract = '4111111111111111'
  const row = makeRow(7001, { contract, outstanding: '20000.00' })
  const report = await importPortfolio(app, operator.authorization, [row, makeRow(7002, { contract: '5555 5555 5555 4444' })])
  t.match(report, { rowsImported: 2, rowsRejected: 0 }, 'the import takes both contract numbers')

  const lookup = await postJson(`${base}/v1/debts/lookup`, { contractNumber: contract, iin: row.iin })
  t.equal(lookup.status, 200)
  const debt = await lookup.json() as { debtId: string, contractNumber: string }
  t.equal(debt.contractNumber, contract)

  const acceptance = await accept(base, debt.debtId)
  const started = await startPayment(base, acceptance.id, 500_000)
  t.equal(started.status, 201)
  const payment = await started.json() as { id: string, redirectUrl: string }
  t.equal((await submitAtBank(payment.redirectUrl)).status, 303)
  const state = await (await fetch(`${base}/v1/payments/${payment.id}`)).json() as { status: string }
  t.equal(state.status, 'succeeded')
  t.equal(await outstandingOf(app, debt.debtId), 2_000_000n - 500_000n)

  const listed = await fetch(`${base}/v1/admin/debts?contractNumber=${contract}`, { headers: { authorization: operator.authorization } })
  t.equal(listed.status, 200, 'the back office finds it by the same number in a query string')
  t.equal((await listed.json() as { data: unknown[] }).data.length, 1)
  const payments = await fetch(`${base}/v1/admin/payments?contractNumber=${contract}`, { headers: { authorization: operator.authorization } })
  t.equal(payments.status, 200)

  const spaced = await postJson(`${base}/v1/debts/lookup`, { contractNumber: '5555 5555 5555 4444', iin: makeRow(7002).iin })
  t.equal(spaced.status, 200, 'a contract printed in groups is a contract number too')
})

t.test('a card number anywhere else in the same flow is still refused', async (t) => {
  const refused = await postJson(`${base}/v1/debts/lookup`, { contractNumber: 'card: 4111 1111 1111 1111', iin: makeRow(7001).iin })
  t.equal(refused.status, 400)
  t.equal((await refused.json() as { code: string }).code, 'card_data_forbidden')
  const offer = await (await fetch(`${base}/v1/offer`)).json() as { version: number, sha256: string }
  const debt = await (await postJson(`${base}/v1/debts/lookup`, { contractNumber: '4111111111111111', iin: makeRow(7001).iin })).json() as { debtId: string }
  const named = await postJson(`${base}/v1/offer-acceptances`, { offerVersion: offer.version, offerSha256: offer.sha256, debtId: debt.debtId, payer: { fullName: 'Иван 4111 1111 1111 1111', email: 'ivan@example.kz', phone: '+77012345678' }, personalDataConsent: true })
  t.equal(named.status, 400)
  t.equal((await named.json() as { code: string }).code, 'card_data_forbidden')
  const query = await fetch(`${base}/v1/offer?lang=ru&note=4111.1111.1111.1111`)
  t.equal(query.status, 400)
})
