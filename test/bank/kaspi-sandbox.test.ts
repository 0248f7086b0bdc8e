import t from 'tap'
import { createListeningApp, outstandingOf, postJson, seedDebt } from '../helpers/payments.js'
import { fromPublicId } from '../../src/lib/ids.js'
import { formatKaspiTime } from '../../src/lib/kaspi-time.js'
import { trialBalance } from '../../src/modules/ledger/service.js'

/**
 * The Kaspi sandbox (KASPI_MODE=sandbox, DESIGN 17) plays the Kaspi app against our channel over real HTTP: check,
 * pay and the same pay again; and writes the day's registry as Kaspi would, the transactions we never heard of
 * included.
 */
const { app, base } = await createListeningApp(t, { KASPI_MODE: 'sandbox' })

async function codeOf (publicId: string): Promise<string> {
  const row = await app.db.selectFrom('debts').select('payment_code')
    .where('id', '=', fromPublicId('debt', publicId) as string).executeTakeFirstOrThrow()
  return row.payment_code
}

type Answer = Record<string, unknown>
interface Played { txnId: string, check: Answer, pay: Answer | null, repeat: Answer | null }

async function play (body: Record<string, unknown>): Promise<{ status: number, body: Played }> {
  const response = await postJson(`${base}/sandbox/kaspi/payments`, body)
  return { status: response.status, body: await response.json() as Played }
}

async function registry (date: string): Promise<{ status: number, type: string | null, text: string }> {
  const response = await fetch(`${base}/sandbox/kaspi/registry?date=${date}`)
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() }
}

// the registry's day is Almaty's: what the sandbox dates now
const today = formatKaspiTime(new Date()).replace(/^(\d{4})(\d{2})(\d{2}).*$/, '$1-$2-$3')

t.test('a payment played in the app: check, pay, and the same pay again, which changes nothing', async (t) => {
  const debt = await seedDebt(app, { outstanding: '1500.00' })
  const account = await codeOf(debt.id)
  const played = await play({ account, amount: 50_000 })
  t.equal(played.status, 201)
  const { txnId, check, pay, repeat } = played.body
  t.match(txnId, /^\d{18}$/)
  t.match(check, { txn_id: txnId, result: 0, sum: '1500.00', fields: { contract_number: debt.contract } })
  t.match(pay, { txn_id: txnId, prv_txn_id: /^\d+$/, result: 0, sum: '500.00' })
  t.same(repeat, pay, 'the repeat gets the same answer')
  t.equal(await outstandingOf(app, debt.id), 100_000n, 'credited once')

  const day = await registry(today)
  t.equal(day.status, 200)
  t.match(day.type, /^text\/csv/)
  const [header, ...rows] = day.text.trimEnd().split('\n')
  t.equal(header, 'txn_id,txn_date,account,sum')
  const row = rows.find((line) => line.startsWith(`${txnId},`))
  t.match(row, new RegExp(`^${txnId},${today.replaceAll('-', '')}\\d{6},${account},500\\.00$`))
})

t.test('a code the check refuses is never paid, nor in the registry', async (t) => {
  const played = await play({ account: '12345678903', amount: 100 })
  t.equal(played.status, 201)
  t.match(played.body, { check: { result: 1 }, pay: null, repeat: null })
  t.notOk((await registry(today)).text.includes(played.body.txnId))
})

t.test('skipPay: Kaspi took the money but its pay never reached us; the registry lists it all the same', async (t) => {
  const debt = await seedDebt(app, { outstanding: '300.00' })
  const account = await codeOf(debt.id)
  const played = await play({ account, amount: 10_000, skipPay: true })
  t.match(played.body, { check: { result: 0 }, pay: null, repeat: null })
  t.equal(await outstandingOf(app, debt.id), 30_000n, 'nothing credited here')
  t.match((await registry(today)).text, new RegExp(`\\n${played.body.txnId},\\d{14},${account},100\\.00\\n`))
})

t.test('a day is asked for as YYYY-MM-DD, a real one', async (t) => {
  t.equal((await registry('2001-01-01')).text, 'txn_id,txn_date,account,sum\n', 'an empty day is its header')
  t.equal((await registry('2026-02-30')).status, 422)
  t.equal((await registry('20260101')).status, 400)
  t.equal((await play({ account: 'abc', amount: 1 })).status, 400, 'the app takes digits')
  t.equal((await play({ account: '1', amount: 0 })).status, 400)
})

t.test('the books tie out', async (t) => {
  t.match(await trialBalance(app.db), { total: 0, consistent: true })
})
