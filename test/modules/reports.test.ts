import t, { type Test } from 'tap'
import { sql } from 'kysely'
import { createKey } from '../helpers/app.js'
import { accept, createListeningApp, postJson, seedDebt, startPayment, submitAtBank } from '../helpers/payments.js'
import { almatyDate } from '../../src/lib/calendar.js'
import ExcelJS from 'exceljs'
import { CsvReader } from '../../src/lib/csv.js'
import { tabularFormat, XLSX_MEDIA_TYPE } from '../../src/http/tabular.js'
import { csvCell, toCsv } from '../../src/modules/reports/csv.js'
import { almatyDay, dailyReport, reportPeriod } from '../../src/modules/reports/service.js'

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

// Three more payments moved back to March 2025 (the append-only guard off, as only the owner could), around Almaty's
// midnight: 2025-03-09 23:59:59 (18:59:59Z), 2025-03-10 00:00:00 (19:00:00Z) and 2025-03-11 15:00.
const CREDITOR_C = 'ТОО "Альфа; Бета"'
await pay(CREDITOR_A, 123_456)
await pay(CREDITOR_C, 200_001)
await pay(CREDITOR_A, 98_765)
async function moveEntry (amount: bigint, at: string): Promise<void> {
  const payment = await app.db.selectFrom('payments').select('id').where('amount', '=', amount).executeTakeFirstOrThrow()
  await app.db.transaction().execute(async (trx) => {
    await sql`alter table ledger_entries disable trigger ledger_entries_no_change`.execute(trx)
    await sql`update ledger_entries set created_at = ${new Date(at)} where payment_id = ${payment.id}`.execute(trx)
    await sql`alter table ledger_entries enable trigger ledger_entries_no_change`.execute(trx)
  })
}
await moveEntry(123_456n, '2025-03-09T18:59:59Z')
await moveEntry(200_001n, '2025-03-09T19:00:00Z')
await moveEntry(98_765n, '2025-03-11T10:00:00Z')

async function getReport (path: string, authorization: string, accept?: string): Promise<Response> {
  return await fetch(`${base}${path}`, { headers: { authorization, ...(accept === undefined ? {} : { accept }) } })
}

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
    kind: 'total',
    creditor: CREDITOR_A,
    creditorId: report.lines[0].creditorId,
    received: 150_000,
    refunded: 0,
    returned: 0,
    net: 150_000,
    channels: [{ kind: 'channel_total', channel: 'card', received: 150_000, refunded: 0, returned: 0, net: 150_000 }]
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
  t.equal(empty.from, '2020-01-01T00:00:00+06:00', 'Almaty was UTC+6 before March 2024: the same instant as 18:00Z')
  t.match(report.lines[0].time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+05:00$/, 'times on Almaty\'s clock with the offset')
  t.ok(Math.abs(Date.parse(report.lines[0].time) - (paid.paid_at as Date).getTime()) < 5000, 'the same instant')
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
    'channel,payment_code,kaspi_txn_id,period_from,period_to', 'columns are added at the end only')
  t.ok(lines.some((l) => l.startsWith('line,') && l.includes(paymentA.id) && l.includes(',150000,1500.00,')))
  t.ok(text.includes('"\'=HYPERLINK(""http://evil.example"",""Б"")"'), 'the hostile creditor is text, quoted, its quotes doubled')
  t.notOk(/(^|,)=/.test(text.replaceAll('\r\n', '\n').split('\n').join(',')), 'no cell begins with =')
  t.ok(lines.includes(`total,,${CREDITOR_A},,,net,150000,1500.00,,,,,${day},${day}`), 'no date in a total\'s time')
  t.ok(lines.includes(`channel_total,,${CREDITOR_A},,,net,150000,1500.00,,card,,,${day},${day}`), 'and per channel')
  t.match(response.headers.get('content-disposition'), `filename="report-${day}.csv"`)
  t.match(response.headers.get('vary'), /Accept/)

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

t.test('a range of Almaty days: every day\'s lines, the boundary at Almaty\'s midnight (19:00Z)', async (t) => {
  const range = await (await getReport('/v1/admin/reports/daily?from=2025-03-10&to=2025-03-11', admin.authorization)).json() as any
  t.match(range, { fromDate: '2025-03-10', toDate: '2025-03-11', from: '2025-03-10T00:00:00+05:00', to: '2025-03-12T00:00:00+05:00' })
  t.notOk('date' in range, 'no single date for a range')
  t.same(range.lines.map((l: any) => [l.time, l.amount]), [
    ['2025-03-10T00:00:00+05:00', 200_001],
    ['2025-03-11T15:00:00+05:00', 98_765]
  ], 'the line at 19:00Z is the 10th\'s, times end with +05:00')
  t.same(range.totals.map((x: any) => [x.kind, x.creditor, x.net]), [['total', CREDITOR_A, 98_765], ['total', CREDITOR_C, 200_001]])
  const before = await (await getReport('/v1/admin/reports/daily?date=2025-03-09', admin.authorization)).json() as any
  t.same(before.lines.map((l: any) => [l.time, l.amount]), [['2025-03-09T23:59:59+05:00', 123_456]], '18:59:59Z is the 9th\'s')
  t.equal(before.date, '2025-03-09')
  const one = await (await getReport('/v1/admin/reports/daily?from=2025-03-09&to=2025-03-09', admin.authorization)).json() as any
  t.same(one, before, 'from = to is the day')
  const partner = await (await getReport('/v1/partner/reports/daily?from=2025-03-01&to=2025-03-31', partnerA)).json() as any
  t.same(partner.lines.map((l: any) => l.amount), [123_456, 98_765], 'the partner\'s range: its creditor only')
})

t.test('the range is checked: at most 366 days, from <= to, not with date', async (t) => {
  const ok = await getReport('/v1/partner/reports/daily?from=2024-01-01&to=2024-12-31', partnerA)
  t.equal(ok.status, 200, '366 days (a leap year)')
  const refused: Array<[string, string, string]> = [
    ['from=2024-01-01&to=2025-01-01', 'invalid_date_range', '367 days'],
    ['from=2025-03-11&to=2025-03-10', 'invalid_date_range', 'from after to'],
    ['date=2025-03-10&from=2025-03-10&to=2025-03-10', 'invalid_date_range', 'date with from and to'],
    ['from=2025-03-10', 'invalid_date_range', 'from without to'],
    ['to=2025-03-10', 'invalid_date_range', 'to without from'],
    ['', 'invalid_date_range', 'no day at all'],
    ['from=1999-12-31&to=2000-01-05', 'invalid_date', 'a day out of range']
  ]
  for (const [query, code, name] of refused) {
    const response = await getReport(`/v1/partner/reports/daily?${query}`, partnerA)
    t.equal(response.status, 422, name)
    t.match(await response.json(), { code, errors: [{ path: /^querystring\./ }] }, name)
  }
  const dialect = await getReport('/v1/partner/reports/daily?date=2025-03-10&csvDialect=excel-de', partnerA, 'text/csv')
  t.equal(dialect.status, 400, 'an unknown dialect')
  t.match(await dialect.json(), { code: 'validation_failed' })
})

/** The figures a report holds, as [record, creditor, kind, tiyn, period], from JSON... */
function figuresOfJson (report: any): Array<[string, string, string, number, string]> {
  const out: Array<[string, string, string, number, string]> = report.lines.map((l: any) => ['line', l.creditor, l.kind, l.amount, l.time])
  const figures = ['received', 'refunded', 'returned', 'net']
  for (const x of report.totals) for (const f of figures) out.push(['total', x.creditor, f, x[f], `${report.fromDate}..${report.toDate}`])
  for (const x of report.totals) {
    for (const c of x.channels) for (const f of figures) out.push(['channel_total', x.creditor, f, c[f], `${report.fromDate}..${report.toDate}`])
  }
  return out
}

/** ...and from the table's rows by header name, `amount_kzt` read as tenge and checked against `amount_tiyn`. */
function figuresOfTable (t: Test, rows: Array<Record<string, string | number | null>>, kzt: (v: any) => number) {
  return rows.map((row) => {
    t.equal(Math.round(kzt(row.amount_kzt) * 100), Number(row.amount_tiyn), 'tenge and tiyn agree')
    const when = row.record === 'line' ? row.time : `${String(row.period_from)}..${String(row.period_to)}`
    if (row.record !== 'line') t.notOk(row.time, 'a total has no time')
    return [row.record, row.creditor, row.kind, Math.round(kzt(row.amount_kzt) * 100), when]
  })
}

t.test('CSV in the excel-ru dialect: `;`, decimal comma, BOM, CRLF, the same figures as the JSON', async (t) => {
  const path = '/v1/admin/reports/daily?from=2025-03-09&to=2025-03-11'
  const json = await (await getReport(path, admin.authorization)).json() as any
  const response = await getReport(`${path}&csvDialect=excel-ru`, admin.authorization, 'text/csv')
  t.equal(response.status, 200)
  t.match(response.headers.get('content-disposition'), 'filename="report-2025-03-09_2025-03-11.csv"')
  const bytes = Buffer.from(await response.arrayBuffer())
  t.same([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM')
  const text = bytes.toString('utf8').slice(1)
  t.ok(text.endsWith('\r\n') && !/[^\r]\n/.test(text), 'CRLF only')
  t.ok(text.startsWith('record;time;creditor;'), '`;` between fields')
  t.ok(text.includes(';1234,56;'), 'a decimal comma')
  t.ok(text.includes('"ТОО ""Альфа; Бета"""'), 'a field holding `;` is quoted, its quotes doubled')
  const reader = new CsvReader({ delimiter: ';' })
  const [header, ...records] = [...reader.push(text), ...reader.end()].map((r) => r.fields)
  const rows = records.map((fields) => Object.fromEntries((header ?? []).map((name, i) => [name, fields[i] === '' ? null : fields[i] ?? null])))
  const figures = figuresOfTable(t, rows, (v: string) => Number(v.replace(',', '.')))
  t.same(figures, figuresOfJson(json), 'the CSV read back holds the JSON\'s figures')
})

t.test('XLSX: read back by exceljs, the same figures as the JSON', async (t) => {
  const path = '/v1/partner/reports/daily?from=2025-03-09&to=2025-03-11'
  const json = await (await getReport(path, partnerA)).json() as any
  const response = await getReport(path, partnerA, `${XLSX_MEDIA_TYPE}, application/json;q=0.5`)
  t.equal(response.status, 200)
  t.equal(response.headers.get('content-type'), XLSX_MEDIA_TYPE)
  t.match(response.headers.get('content-disposition'), 'filename="report-2025-03-09_2025-03-11.xlsx"')
  const workbook = new ExcelJS.Workbook()
  await workbook.xlsx.load(Buffer.from(await response.arrayBuffer()) as any)
  const sheet = workbook.worksheets[0]
  if (sheet === undefined) throw new Error('no sheet')
  const values: any[][] = []
  sheet.eachRow((row) => { values.push((row.values as any[]).slice(1)) })
  const [header, ...records] = values
  const rows = records.map((cells) =>
    Object.fromEntries((header ?? []).map((name: string, i: number) => [name, cells[i] ?? null])))
  t.equal(typeof rows[0]?.amount_kzt, 'number', 'an amount is a number')
  t.equal(sheet.getColumn(8).numFmt ?? sheet.getRow(2).getCell(8).numFmt, '#,##0.00', 'formatted as tenge')
  t.match(rows[0]?.time, /\+05:00$/, 'times as text with the offset')
  const figures = figuresOfTable(t, rows, (v: number) => v)
  t.same(figures, figuresOfJson(json), 'the workbook read back holds the JSON\'s figures')
  t.notOk(JSON.stringify(values).includes(CREDITOR_C), 'the partner\'s workbook: its creditor only')
})

t.test('a report over REPORT_MAX_LINES is refused, not built', async (t) => {
  const period = reportPeriod({ from: '2025-03-09', to: '2025-03-11' })
  await t.rejects(dailyReport(app.db, period, null, 2), { code: 'report_too_large', facts: { maxLines: 2 } })
  t.equal((await dailyReport(app.db, period, null, 3)).lines.length, 3, 'exactly the most is fine')
})

t.test('Accept with q-values', async (t) => {
  t.equal(tabularFormat(undefined), 'json')
  t.equal(tabularFormat('*/*'), 'json')
  t.equal(tabularFormat('text/csv'), 'csv')
  t.equal(tabularFormat('application/json, text/csv'), 'csv', 'a tie: the file, as before')
  t.equal(tabularFormat('text/csv;q=0.5, application/json'), 'json')
  t.equal(tabularFormat('text/csv;q=0, application/json'), 'json', 'q=0 refuses')
  t.equal(tabularFormat('text/csv;q=0'), null, 'q=0 refuses, and nothing else is named: 406')
  t.equal(tabularFormat(`text/csv;q=0.8, ${XLSX_MEDIA_TYPE}`), 'xlsx')
  t.equal(tabularFormat('image/png'), null, 'nothing offered: 406')
  t.equal(tabularFormat('image/png, */*;q=0.1'), 'json')
  t.equal(tabularFormat('application/json;q=0, */*'), null, 'JSON refused by name, the wildcard does not bring it back')
})

t.test('Accept naming nothing offered is 406 not_acceptable, and varies by Accept', async (t) => {
  for (const path of [`/v1/admin/reports/daily?date=${day}`]) {
    const refused = await getReport(path, admin.authorization, 'text/csv;q=0')
    t.equal(refused.status, 406, path)
    t.match(refused.headers.get('content-type'), /^application\/problem\+json/)
    t.match(refused.headers.get('vary'), /Accept/)
    t.match(await refused.json(), { status: 406, code: 'not_acceptable' })
    const json = await getReport(path, admin.authorization, 'text/csv;q=0, application/json')
    t.equal(json.status, 200)
    t.match(json.headers.get('content-type'), /^application\/json/)
    t.match(json.headers.get('vary'), /Accept/)
  }
})

t.test('a range is read by the index of money entries by time, not by a scan of history', async (t) => {
  const plan = await app.db.transaction().execute(async (trx) => {
    await sql`set local enable_seqscan = off`.execute(trx)
    const { rows } = await sql<{ 'QUERY PLAN': string }>`
      explain select e.id from ledger_entries e
       where e.kind in ('payment_received', 'refund_paid', 'payment_returned')
         and e.created_at >= ${new Date('2025-03-09T19:00:00Z')} and e.created_at < ${new Date('2025-03-11T19:00:00Z')}
       order by e.created_at, e.id limit 100001`.execute(trx)
    return rows.map((row) => row['QUERY PLAN']).join('\n')
  })
  t.match(plan, /ledger_entries_money_by_time/)
})

t.test('XLSX: a hostile creditor\'s name is a text cell, never a formula', async (t) => {
  const response = await getReport(`/v1/admin/reports/daily?date=${day}`, admin.authorization, XLSX_MEDIA_TYPE)
  t.match(response.headers.get('content-disposition'), `filename="report-${day}.xlsx"`)
  t.match(response.headers.get('vary'), /Accept/)
  const workbook = new ExcelJS.Workbook()
  await workbook.xlsx.load(Buffer.from(await response.arrayBuffer()) as any)
  const cells: unknown[] = []
  workbook.worksheets[0]?.eachRow((row) => { row.eachCell((cell) => { cells.push(cell.value) }) })
  t.ok(cells.includes(CREDITOR_B), 'the name as text')
  t.notOk(cells.some((value) => typeof value === 'object' && value !== null && 'formula' in value), 'no formula')
})

t.test('one total per creditor, whatever the spellings of its debts: named as on record', async (t) => {
  await pay(CREDITOR_A, 11_111)
  await pay('ао "Банк  А"', 22_222)
  await moveEntry(11_111n, '2025-04-01T10:00:00Z')
  await moveEntry(22_222n, '2025-04-01T11:00:00Z')
  const report = await (await getReport('/v1/admin/reports/daily?date=2025-04-01', admin.authorization)).json() as any
  t.same(report.lines.map((l: any) => [l.creditor, l.amount]), [[CREDITOR_A, 11_111], ['ао "Банк  А"', 22_222]],
    'each line as its debt spells the creditor')
  t.same(new Set(report.lines.map((l: any) => l.creditorId)).size, 1, 'one creditor')
  t.same(report.totals.map((x: any) => [x.creditor, x.received, x.net]), [[CREDITOR_A, 33_333, 33_333]])
})
