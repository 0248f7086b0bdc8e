import t from 'tap'
import { sql } from 'kysely'
import { createKey } from '../helpers/app.js'
import { accept, createListeningApp, postJson, seedDebt, startPayment, submitAtBank } from '../helpers/payments.js'
import { almatyDate } from '../../src/lib/calendar.js'
import { csvCell, toCsv } from '../../src/modules/reports/csv.js'
import { almatyDay } from '../../src/modules/reports/service.js'

/**
 * The daily reconciliation report a partner's accountant opens in Excel:
 * the day's payments, one line each, totals that tie to the ledger, and
 * another creditor's contracts nowhere in it.
 */
const { app, base } = await createListeningApp(t)
const admin = await createKey(app, ['admin'])
const CREDITOR_A = 'АО «Банк А»'
// a creditor's name as a hostile portfolio could spell it
const CREDITOR_B = '=HYPERLINK("http://evil.example","Б")'

async function pay (creditor: string, amount: number): Promise<{ id: string, contract: string }> {
  const debt = await seedDebt(app, { creditor, outstanding: '5000.00' })
  const acceptance = await accept(base, debt.id)
  const payment = await (await startPayment(base, acceptance.id, amount)).json() as { id: string, redirectUrl: string }
  await submitAtBank(payment.redirectUrl)
  return { id: payment.id, contract: debt.contract }
}

// the creditor on record first (DESIGN 18: a key naming no creditor is refused)
await postJson(`${base}/v1/admin/creditors`, { name: CREDITOR_A }, { authorization: admin.authorization })
const keyResponse = await postJson(`${base}/v1/admin/api-keys`, { name: 'A', scopes: ['partner'], creditors: [CREDITOR_A] }, { authorization: admin.authorization })
const partnerA = `Bearer ${(await keyResponse.json() as { key: string }).key}`
const paymentA = await pay(CREDITOR_A, 150_000)
const paymentB = await pay(CREDITOR_B, 70_000)
const paid = await app.db.selectFrom('payments').select('paid_at').where('amount', '=', 150_000n).executeTakeFirstOrThrow()
const day = almatyDate(paid.paid_at as Date)

t.test('JSON: the partner\'s day lists its payment, totals tie to the ledger, no other creditor', async (t) => {
  const response = await fetch(`${base}/v1/partner/reports/daily?date=${day}`, { headers: { authorization: partnerA } })
  t.equal(response.status, 200)
  t.match(response.headers.get('content-type'), /application\/json/)
  const report = await response.json() as any
  t.match(report, { date: day, timezone: 'Asia/Almaty', currency: 'KZT' })
  t.same(report.lines.map((l: any) => l.paymentId), [paymentA.id])
  t.match(report.lines[0], { contractNumber: paymentA.contract, creditor: CREDITOR_A, kind: 'payment_received', amount: 150_000, bankPaymentId: /^\d+$/, ledgerEntryId: /^le_/ })
  t.match(report.lines[0].creditorId, /^cred_[0-9a-f]{32}$/)
  t.same(report.totals, [{
    creditor: CREDITOR_A,
    creditorId: report.lines[0].creditorId,
    received: 150_000,
    refunded: 0,
    returned: 0,
    net: 150_000,
    channels: [{ channel: 'card', received: 150_000, refunded: 0, returned: 0, net: 150_000 }]
  }])
  t.match(report.lines[0], { channel: 'card', kaspiTxnId: null, paymentCode: /^\d{11}$/ }, 'the channel and the payment code')
  t.notOk(JSON.stringify(report).includes(paymentB.contract), 'B\'s contract is not in A\'s report')

  const all = await (await fetch(`${base}/v1/admin/reports/daily?date=${day}`, { headers: { authorization: admin.authorization } })).json() as any
  const { from, to } = almatyDay(day)
  const { rows } = await sql<{ total: string }>`
    select coalesce(sum(l.amount), 0)::text as total from ledger_lines l
      join ledger_accounts a on a.id = l.account_id and a.kind = 'clearing'
      join ledger_entries e on e.id = l.entry_id
     where e.created_at >= ${from} and e.created_at < ${to}`.execute(app.db)
  t.equal(all.totals.reduce((sum: number, x: any) => sum + x.net, 0), Number(rows[0]?.total), 'the totals are the day\'s clearing movement in the ledger')
  t.equal(all.lines.length, 2)
  const one = await (await fetch(`${base}/v1/admin/reports/daily?date=${day}&creditor=${encodeURIComponent(CREDITOR_A)}`, { headers: { authorization: admin.authorization } })).json() as any
  t.same(one.lines.map((l: any) => l.paymentId), [paymentA.id])
  const empty = await (await fetch(`${base}/v1/partner/reports/daily?date=2020-01-01`, { headers: { authorization: partnerA } })).json() as any
  t.same([empty.lines, empty.totals], [[], []])
  t.equal(empty.from, '2019-12-31T18:00:00.000Z', 'Almaty was UTC+6 before March 2024')
})

t.test('CSV with Accept: text/csv: BOM, RFC 4180, formulas escaped', async (t) => {
  const response = await fetch(`${base}/v1/admin/reports/daily?date=${day}`, { headers: { authorization: admin.authorization, accept: 'text/csv' } })
  t.equal(response.status, 200)
  t.match(response.headers.get('content-type'), /^text\/csv; charset=utf-8/)
  const bytes = Buffer.from(await response.arrayBuffer())
  t.same([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM for Excel')
  const text = bytes.toString('utf8').slice(1)
  const lines = text.split('\r\n')
  t.equal(lines.at(-1), '', 'CRLF after every record')
  t.equal(lines[0], 'record,time,creditor,contract_number,payment_id,kind,amount_tiyn,amount_kzt,bank_payment_id,' +
    'channel,payment_code,kaspi_txn_id', 'columns are added at the end only')
  t.ok(lines.some((l) => l.startsWith('line,') && l.includes(paymentA.id) && l.includes(',150000,1500.00,')))
  t.ok(text.includes('"\'=HYPERLINK(""http://evil.example"",""Б"")"'), 'the hostile creditor is text, quoted, its quotes doubled')
  t.notOk(/(^|,)=/.test(text.replaceAll('\r\n', '\n').split('\n').join(',')), 'no cell begins with =')
  t.ok(lines.includes(`total,${day},${CREDITOR_A},,,net,150000,1500.00,,,,`))
  t.ok(lines.includes(`channel_total,${day},${CREDITOR_A},,,net,150000,1500.00,,card,,`), 'and per channel')

  const partner = await (await fetch(`${base}/v1/partner/reports/daily?date=${day}`, { headers: { authorization: partnerA, accept: 'text/csv' } })).text()
  t.ok(partner.includes(paymentA.contract))
  t.notOk(partner.includes(paymentB.contract), 'the partner\'s CSV leaks no other creditor\'s contract')
})

t.test('a date that is no calendar day is refused', async (t) => {
  for (const date of ['2026-02-30', '2026-13-01', '26-01-01']) {
    const response = await fetch(`${base}/v1/partner/reports/daily?date=${date}`, { headers: { authorization: partnerA } })
    t.ok([400, 422].includes(response.status), date)
  }
  // out of range: a 500 once (no Almaty midnight in year 1); now the same 422 as any other day that is not one
  for (const date of ['0001-01-01', '1969-12-31', '1999-12-31', '9999-12-31']) {
    const response = await fetch(`${base}/v1/partner/reports/daily?date=${date}`, { headers: { authorization: partnerA } })
    t.equal(response.status, 422, date)
    t.match(await response.json(), { code: 'invalid_date' }, date)
  }
  t.equal((await fetch(`${base}/v1/partner/reports/daily?date=2000-01-01`, { headers: { authorization: partnerA } })).status, 200, 'the first day')
  t.equal((await fetch(`${base}/v1/partner/reports/daily?date=9999-12-30`, { headers: { authorization: partnerA } })).status, 200, 'the last day')
})

t.test('CSV cells: formula-leading text escaped, numbers kept, RFC 4180 quoting', async (t) => {
  t.equal(csvCell('=1+2'), "'=1+2")
  t.equal(csvCell('+7 701'), "'+7 701")
  t.equal(csvCell('-A'), "'-A")
  t.equal(csvCell('@SUM(A1)'), "'@SUM(A1)")
  t.equal(csvCell('-1500.00'), '-1500.00', 'a negative amount stays a number')
  t.equal(csvCell(-150000), '-150000')
  t.equal(csvCell('a,b'), '"a,b"')
  t.equal(csvCell('say "hi"'), '"say ""hi"""')
  t.equal(csvCell('two\nlines'), '"two\nlines"')
  t.equal(csvCell(null), '')
  t.equal(toCsv([['a', 'b'], [1, null]]), '\uFEFFa,b\r\n1,\r\n')
})
