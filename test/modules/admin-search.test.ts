import t from 'tap'
import { sql } from 'kysely'
import { createKey } from '../helpers/app.js'
import { accept, createListeningApp, PAYER, seedDebt, startPayment } from '../helpers/payments.js'
import { makeIin } from '../helpers/portfolio.js'
import { fromPublicId, toPublicId, uuidv7 } from '../../src/lib/ids.js'

/**
 * DESIGN 20: operators search payments and debts by the debtor's IIN, the payer's email and phone, the payment code,
 * the creditor and the channel; personal data matched by blind index, filters combined with AND.
 */
const { app, base } = await createListeningApp(t)
const operator = await createKey(app, ['operator'])

const IIN_A = makeIin(4_100_001)
const IIN_B = makeIin(4_100_002)
const UNUSED_IIN = makeIin(4_100_003)
const CREDITOR_A = 'АО «Поисковый Банк»'
const CREDITOR_B = 'ТОО «Другой кредитор»'
const OTHER_PAYER = { fullName: 'Петров Пётр Петрович', email: 'petrov@example.kz', phone: '+7 702 111 22 33' }

const debtA = await seedDebt(app, { iin: IIN_A, creditor: CREDITOR_A, outstanding: '90000.00' })
const debtB = await seedDebt(app, { iin: IIN_B, creditor: CREDITOR_B, outstanding: '90000.00' })

async function cardPayment (debtId: string, payer: typeof PAYER): Promise<string> {
  const acceptance = await accept(base, debtId, payer)
  const response = await startPayment(base, acceptance.id, 100_000)
  if (response.status !== 201) throw new Error(`the payment did not start: ${await response.text()}`)
  return (await response.json() as { id: string }).id
}

async function kaspiPayment (debtId: string): Promise<string> {
  const id = uuidv7()
  await sql`
    insert into payments (id, channel, kaspi_txn_id, debt_id, amount, currency, status, expires_at, paid_at)
    values (${id}, 'kaspi', ${String(Date.now()) + String(Math.floor(Math.random() * 1000))},
            ${fromPublicId('debt', debtId)}, 50000, 'KZT', 'succeeded', now(), now())`.execute(app.db)
  return toPublicId('payment', id)
}

const cardA = await cardPayment(debtA.id, PAYER)
const cardB = await cardPayment(debtB.id, OTHER_PAYER)
const kaspiA = await kaspiPayment(debtA.id)

async function get (path: string): Promise<{ status: number, body: Record<string, any> }> {
  const response = await fetch(`${base}${path}`, { headers: { authorization: operator.authorization } })
  return { status: response.status, body: await response.json() as Record<string, any> }
}

async function paymentIds (query: Record<string, string>): Promise<string[]> {
  const found = await get(`/v1/admin/payments?${new URLSearchParams({ limit: '100', ...query }).toString()}`)
  if (found.status !== 200) throw new Error(`the search failed: ${JSON.stringify(found.body)}`)
  return (found.body.data as Array<{ id: string }>).map((p) => p.id)
}

async function debtIds (query: Record<string, string>): Promise<string[]> {
  const found = await get(`/v1/admin/debts?${new URLSearchParams({ limit: '100', ...query }).toString()}`)
  if (found.status !== 200) throw new Error(`the search failed: ${JSON.stringify(found.body)}`)
  return (found.body.data as Array<{ id: string }>).map((d) => d.id)
}

const debtViewA = (await get(`/v1/admin/debts?paymentCode=${(await get(`/v1/admin/payments/${cardA}`)).body.paymentCode as string}`)).body.data[0]
const creditorA = debtViewA.creditorId as string
const paymentCodeA = debtViewA.paymentCode as string
const creditorB = (await get(`/v1/admin/payments/${cardB}`)).body.creditorId as string
const paymentCodeB = (await get(`/v1/admin/payments/${cardB}`)).body.paymentCode as string
const UNKNOWN_CREDITOR = 'cred_00000000000000000000000000000000'

t.test('payments by the debtor\'s IIN: card and Kaspi payments of the debt', async (t) => {
  t.same(await paymentIds({ iin: IIN_A }), [kaspiA, cardA], 'both of debt A, newest first')
  t.same(await paymentIds({ iin: IIN_B }), [cardB])
  t.same(await paymentIds({ iin: UNUSED_IIN }), [], 'a valid IIN nobody paid for finds nothing')
})

t.test('payments by the payer\'s email, compared case-insensitively', async (t) => {
  t.same(await paymentIds({ email: PAYER.email }), [cardA])
  t.same(await paymentIds({ email: 'IVANOV@example.KZ' }), [cardA], 'normalised as stored')
  t.same(await paymentIds({ email: 'petrov@example.kz' }), [cardB])
  t.same(await paymentIds({ email: 'nobody@example.kz' }), [])
})

t.test('payments by the payer\'s phone in any usual spelling', async (t) => {
  for (const phone of ['+77012345678', '8 (701) 234-56-78', '77012345678', '+7 701 234 56 78']) {
    t.same(await paymentIds({ phone }), [cardA], phone)
  }
  t.same(await paymentIds({ phone: '87021112233' }), [cardB])
  t.same(await paymentIds({ phone: '+77770000000' }), [], 'a number nobody paid with finds nothing')
})

t.test('payments by payment code, creditor and channel', async (t) => {
  t.same(await paymentIds({ paymentCode: paymentCodeA }), [kaspiA, cardA])
  t.same(await paymentIds({ paymentCode: paymentCodeB }), [cardB])
  t.same(await paymentIds({ paymentCode: '00000000000' }), [], 'a code no debt has')
  t.same(await paymentIds({ creditorId: creditorA }), [kaspiA, cardA])
  t.same(await paymentIds({ creditorId: creditorB }), [cardB])
  t.same(await paymentIds({ creditorId: UNKNOWN_CREDITOR }), [])
  const kaspi = await paymentIds({ channel: 'kaspi' })
  t.ok(kaspi.includes(kaspiA) && !kaspi.includes(cardA), 'channel=kaspi')
  const card = await paymentIds({ channel: 'card' })
  t.ok(card.includes(cardA) && card.includes(cardB) && !card.includes(kaspiA), 'channel=card')
})

t.test('filters combine with AND, with the existing ones and with pagination', async (t) => {
  t.same(await paymentIds({ iin: IIN_A, channel: 'kaspi' }), [kaspiA])
  t.same(await paymentIds({ iin: IIN_A, channel: 'card', email: PAYER.email, phone: PAYER.phone }), [cardA])
  t.same(await paymentIds({ iin: IIN_A, creditorId: creditorB }), [], 'debt A is not creditor B\'s')
  t.same(await paymentIds({ email: PAYER.email, paymentCode: paymentCodeB }), [])
  t.same(await paymentIds({ creditorId: creditorA, paymentCode: paymentCodeA, status: 'succeeded' }), [kaspiA])
  t.same(await paymentIds({ contractNumber: debtA.contract, iin: IIN_A }), [kaspiA, cardA])
  t.same(await paymentIds({ contractNumber: debtA.contract, iin: IIN_B }), [])

  const first = await get(`/v1/admin/payments?iin=${IIN_A}&limit=1`)
  t.match(first.body, { data: [{ id: kaspiA }], hasMore: true, nextCursor: kaspiA })
  const second = await get(`/v1/admin/payments?iin=${IIN_A}&limit=1&startingAfter=${first.body.nextCursor as string}`)
  t.match(second.body, { data: [{ id: cardA }], hasMore: false })
})

t.test('debts by IIN, payment code and creditor', async (t) => {
  t.same(await debtIds({ iin: IIN_A }), [debtA.id])
  t.same(await debtIds({ iin: IIN_B }), [debtB.id])
  t.same(await debtIds({ iin: UNUSED_IIN }), [])
  t.same(await debtIds({ creditorId: creditorA }), [debtA.id])
  t.same(await debtIds({ creditorId: UNKNOWN_CREDITOR }), [])
  t.same(await debtIds({ paymentCode: paymentCodeA, iin: IIN_A, creditorId: creditorA }), [debtA.id], 'AND')
  t.same(await debtIds({ paymentCode: paymentCodeA, iin: IIN_B }), [])
  t.same(await debtIds({ creditorId: creditorA, status: 'recalled' }), [])
  t.same(await debtIds({ contractNumber: debtB.contract, creditorId: creditorB }), [debtB.id])
})

t.test('bad values are 400 validation_failed naming the parameter', async (t) => {
  const wrongCheckDigit = IIN_A.slice(0, 11) + String((Number(IIN_A[11]) + 1) % 10)
  const cases: Array<[string, string]> = [
    ['/v1/admin/payments', `iin=${wrongCheckDigit}`],
    ['/v1/admin/payments', 'iin=12345'],
    ['/v1/admin/payments', 'iin=abcdefghijkl'],
    ['/v1/admin/payments', 'email=not-an-email'],
    ['/v1/admin/payments', 'email=a%40b'],
    ['/v1/admin/payments', 'phone=%2B1%20202%20555%200100'],
    ['/v1/admin/payments', 'phone=hello'],
    ['/v1/admin/payments', 'phone=87012345'],
    ['/v1/admin/payments', 'paymentCode=123'],
    ['/v1/admin/payments', 'creditorId=pay_00000000000000000000000000000000'],
    ['/v1/admin/payments', 'channel=cash'],
    ['/v1/admin/debts', `iin=${wrongCheckDigit}`],
    ['/v1/admin/debts', 'iin=1234567890123'],
    ['/v1/admin/debts', 'creditorId=cred_xyz'],
    ['/v1/admin/debts', 'paymentCode=abc']
  ]
  for (const [path, query] of cases) {
    const refused = await get(`${path}?${query}`)
    t.equal(refused.status, 400, `${path}?${query}`)
    t.equal(refused.body.code, 'validation_failed', `${path}?${query}`)
    const parameter = query.split('=')[0] as string
    t.ok((refused.body.errors as Array<{ path: string }>).some((e) => e.path.includes(parameter)), `names ${parameter}`)
  }
  const both = await get(`/v1/admin/payments?iin=${wrongCheckDigit}&email=nope`)
  t.same((both.body.errors as Array<{ path: string }>).map((e) => e.path), ['querystring.iin', 'querystring.email'],
    'every bad value is named')
  t.notOk(JSON.stringify(both.body).includes(wrongCheckDigit), 'the problem does not echo the IIN')
})
