import t, { type Test } from 'tap'
import { sql } from 'kysely'
import ExcelJS from 'exceljs'
import { createKey } from '../helpers/app.js'
import { createListeningApp } from '../helpers/payments.js'
import { caller, debtOf, kaspiPaid, kaspiRefunded } from '../helpers/agency.js'
import { CsvReader } from '../../src/lib/csv.js'
import { fromPublicId } from '../../src/lib/ids.js'
import { almatyDate } from '../../src/lib/calendar.js'
import { XLSX_MEDIA_TYPE } from '../../src/http/tabular.js'
import { creditorStatement } from '../../src/modules/remittances/service.js'

/**
 * Creditors' statements (DESIGN 18) over real HTTP: an agency creditor's month of payments (one overpaid), a partial
 * refund, a full refund in two parts and a remittance, its figures and lines tying to the ledger's lines to the tiyn;
 * sub-ranges that chain; an assignment creditor's collections; the partner's statement limited to its key's
 * creditors; CSV (excel-ru) and XLSX read back holding the JSON's figures.
 */
const { app, base } = await createListeningApp(t)
const admin = await createKey(app, ['admin'])
const call = caller(base, admin.authorization)
const today = almatyDate(new Date())

const AGENCY = 'ТОО "Агентство; Месяц"'
const created = await call('POST', '/v1/admin/creditors', { name: AGENCY, agreement: { kind: 'agency', commissionBps: 1250 } })
const creditorId = created.body.id as string
const ASSIGNMENT = 'АО Цессионарий'
const assignment = (await call('POST', '/v1/admin/creditors', { name: ASSIGNMENT })).body.id as string

/** Moves entries back in time (the append-only guard off, as only the owner could): `at` an instant. */
async function moveEntries (where: ReturnType<typeof sql>, at: string): Promise<void> {
  await app.db.transaction().execute(async (trx) => {
    await sql`alter table ledger_entries disable trigger ledger_entries_no_change`.execute(trx)
    const moved = await sql`update ledger_entries e set created_at = ${new Date(at)} where ${where}`.execute(trx)
    await sql`alter table ledger_entries enable trigger ledger_entries_no_change`.execute(trx)
    if (Number(moved.numAffectedRows) === 0) throw new Error('moved nothing')
  })
}
const ofPayment = (id: string, kind = 'payment_received') =>
  sql`e.payment_id = ${fromPublicId('payment', id)} and e.kind = ${kind}`
const ofRefund = (id: string) => sql`e.reference_type = 'refund' and e.reference_id = ${fromPublicId('refund', id)}`

// October: one payment before the month (the opening). November (Almaty, UTC+5): payments, refunds, a remittance.
const p0 = await kaspiPaid(app, (await debtOf(app, AGENCY, 20_000n)).code, 20_000n)
const p1 = await kaspiPaid(app, (await debtOf(app, AGENCY, 100_000n)).code, 100_000n)
const p2 = await kaspiPaid(app, (await debtOf(app, AGENCY, 50_000n)).code, 70_000n) // 20 000 overpaid
const p3 = await kaspiPaid(app, (await debtOf(app, AGENCY, 80_000n)).code, 80_000n)
const r1 = await kaspiRefunded(call, p1, 40_000n)
const r3a = await kaspiRefunded(call, p3, 30_000n)
const r3b = await kaspiRefunded(call, p3, 50_000n)
const remittance = await call('POST', `/v1/admin/creditors/${creditorId}/remittances`,
  { amount: 50_000, reference: 'ПП-2026-11-25', date: '2026-11-25' })
const p4 = await kaspiPaid(app, (await debtOf(app, AGENCY, 10_000n)).code, 10_000n) // today: after the month
await moveEntries(ofPayment(p0), '2026-10-28T06:00:00Z')
await moveEntries(ofPayment(p1), '2026-11-02T19:00:00Z') // 2026-11-03 00:00 in Almaty
await moveEntries(ofPayment(p2), '2026-11-05T06:00:00Z')
await moveEntries(ofPayment(p3), '2026-11-10T06:00:00Z')
await moveEntries(ofRefund(r1), '2026-11-12T06:00:00Z')
await moveEntries(ofRefund(r3a), '2026-11-14T18:59:59Z') // 2026-11-14 23:59:59 in Almaty
await moveEntries(ofRefund(r3b), '2026-11-20T06:00:00Z')
await moveEntries(sql`e.id = ${fromPublicId('ledgerEntry', remittance.body.ledgerEntryId)}`, '2026-11-25T06:00:00Z')

async function statement (path: string, authorization = admin.authorization, accept?: string): Promise<Response> {
  return await fetch(`${base}${path}`, { headers: { authorization, ...(accept === undefined ? {} : { accept }) } })
}

/** The ledger's own sums for the creditor: payable lines and commission lines of its entries before `before`. */
async function ledgerOwed (before: string): Promise<{ owed: bigint, commission: bigint }> {
  const { rows } = await sql<{ kind: string, total: string }>`
    select a.kind, sum(l.amount)::text as total
      from ledger_entries e join ledger_lines l on l.entry_id = e.id join ledger_accounts a on a.id = l.account_id
     where e.created_at < ${new Date(before)} and a.kind in ('creditor_payable', 'commission')
       and e.id in (select entry_id from ledger_lines where account_id =
                     (select id from ledger_accounts where key = ${`creditor_payable:${creditorId}`}))
     group by a.kind`.execute(app.db)
  const total = (kind: string): bigint => BigInt(rows.find((r) => r.kind === kind)?.total ?? '0')
  return { owed: -total('creditor_payable'), commission: -total('commission') }
}

const sumOf = (body: any, kind: string): number =>
  body.lines.filter((l: any) => l.kind === kind).reduce((s: number, l: any) => s + Number(l.amount), 0)

function ties (t: Test, body: any): void {
  t.equal(body.closing, body.opening + body.collected - body.refunded - body.commission - body.remitted,
    'closing = opening + collected - refunded - commission - remitted')
  for (const kind of ['collected', 'refunded', 'commission', 'remitted']) {
    t.equal(sumOf(body, kind), body[kind], `the ${kind} lines sum to the figure`)
  }
}

t.test('an agency creditor\'s month ties to the ledger to the tiyn', async (t) => {
  const response = await statement(`/v1/admin/creditors/${creditorId}/statement?from=2026-11-01&to=2026-11-30`)
  t.equal(response.status, 200)
  t.match(response.headers.get('vary'), /Accept/)
  const body = await response.json() as any
  t.match(body, {
    creditorId, creditor: AGENCY, agreement: 'agency', basis: 'payable', from: '2026-11-01', to: '2026-11-30',
    timezone: 'Asia/Almaty', currency: 'KZT',
    opening: 17_500, // October's 20 000 less 12.5%
    collected: 230_000, // 100 000 + 50 000 (not the 20 000 overpaid) + 80 000
    refunded: 120_000, // 40 000 + 30 000 + 50 000
    commission: 13_750, // 12 500 + 6 250 + 10 000 - 5 000 - 3 750 - 6 250
    remitted: 50_000,
    closing: 63_750
  })
  ties(t, body)
  const before = await ledgerOwed('2026-10-31T19:00:00Z')
  const after = await ledgerOwed('2026-11-30T19:00:00Z')
  t.equal(BigInt(body.opening), before.owed, 'opening: the payable lines before the month')
  t.equal(BigInt(body.closing), after.owed, 'closing: the payable lines to the month\'s end')
  t.equal(BigInt(body.commission), after.commission - before.commission, 'commission: the month\'s commission lines')
  t.equal(body.lines.length, 13, 'three payments and their commission, three refunds and theirs, a remittance')
  t.match(body.lines[0], { date: '2026-11-03', time: '2026-11-03T00:00:00+05:00', kind: 'collected', amount: 100_000, entryKind: 'payment_received', paymentId: p1 })
  t.match(body.lines.find((l: any) => l.kind === 'remitted'),
    { date: '2026-11-25', amount: 50_000, remittanceId: remittance.body.id, reference: 'ПП-2026-11-25', transferDate: '2026-11-25' })
  t.match(body.lines.filter((l: any) => l.refundId === r3a), [
    { kind: 'refunded', amount: 30_000, paymentId: p3, entryKind: 'refund_paid' }, { kind: 'commission', amount: -3_750 }
  ])
  t.notOk(body.lines.some((l: any) => l.paymentId === p4 || l.paymentId === p0), 'only the month\'s entries')
})

t.test('sub-ranges chain: the later one opens at the earlier one\'s closing', async (t) => {
  const first = await (await statement(`/v1/admin/creditors/${creditorId}/statement?from=2026-11-01&to=2026-11-14`)).json() as any
  const second = await (await statement(`/v1/admin/creditors/${creditorId}/statement?from=2026-11-15&to=2026-11-30`)).json() as any
  const month = await (await statement(`/v1/admin/creditors/${creditorId}/statement?from=2026-11-01&to=2026-11-30`)).json() as any
  ties(t, first)
  ties(t, second)
  t.equal(second.opening, first.closing)
  t.equal(second.closing, month.closing)
  t.equal(first.refunded, 70_000, 'the refund at 23:59:59 on the 14th is the 14th\'s')
  t.equal(first.collected + second.collected, month.collected)
  const now = await (await statement(`/v1/admin/creditors/${creditorId}/statement?from=2026-12-01&to=${today}`)).json() as any
  ties(t, now)
  t.equal(now.opening, month.closing)
  t.equal(BigInt(now.closing), (await ledgerOwed('9999-01-01T00:00:00Z')).owed, 'today\'s closing: what is owed now')
})

t.test('an assignment creditor: collected and refunded from its debts, nothing owed', async (t) => {
  const payment = await kaspiPaid(app, (await debtOf(app, ASSIGNMENT, 30_000n)).code, 35_000n)
  await kaspiRefunded(call, payment, 10_000n) // 5 000 overpaid back first, 5 000 restores the debt
  const body = await (await statement(`/v1/admin/creditors/${assignment}/statement?from=${today}&to=${today}`)).json() as any
  t.match(body, {
    agreement: 'assignment', basis: 'collections', opening: 0, collected: 30_000, refunded: 5_000, commission: 0,
    remitted: 0, closing: 0
  })
  t.equal(sumOf(body, 'collected'), 30_000)
  t.equal(sumOf(body, 'refunded'), 5_000)
})

t.test('errors: unknown creditor 404, bad ranges 422, too many lines 422', async (t) => {
  const path = `/v1/admin/creditors/${creditorId}/statement`
  t.equal((await statement(`/v1/admin/creditors/cred_${'0'.repeat(32)}/statement?from=2026-11-01&to=2026-11-30`)).status, 404)
  const reversed = await (await statement(`${path}?from=2026-11-30&to=2026-11-01`)).json() as any
  t.equal(reversed.code, 'invalid_date_range')
  const long = await (await statement(`${path}?from=2025-01-01&to=2026-01-02`)).json() as any
  t.equal(long.code, 'invalid_date_range')
  t.equal((await (await statement(`${path}?from=2026-02-30&to=2026-03-01`)).json() as any).code, 'invalid_date')
  t.equal((await statement(`${path}?from=2026-11-01`)).status, 400, 'both days are required')
  const id = fromPublicId('creditor', creditorId) as string
  await t.rejects(creditorStatement(app.db, id, { from: '2026-11-01', to: '2026-11-30' }, 5),
    { code: 'report_too_large', facts: { maxLines: 5 } })
  const operator = await createKey(app, ['operator'])
  t.equal((await statement(`${path}?from=2026-11-01&to=2026-11-30`, operator.authorization)).status, 200,
    'an operator reads statements')
})

t.test('the partner\'s statement: its own creditor only', async (t) => {
  const own = await createKey(app, ['partner'], 'agency partner', [AGENCY])
  const both = await createKey(app, ['partner'], 'two creditors', [AGENCY, ASSIGNMENT])
  const admins = await (await statement(`/v1/admin/creditors/${creditorId}/statement?from=2026-11-01&to=2026-11-30`)).json()
  const implicit = await statement('/v1/partner/statement?from=2026-11-01&to=2026-11-30', own.authorization)
  t.equal(implicit.status, 200)
  t.same(await implicit.json(), admins, 'the key\'s only creditor when none is named: the admin\'s statement')
  const named = await statement(`/v1/partner/statement?creditorId=${creditorId}&from=2026-11-01&to=2026-11-30`, own.authorization)
  t.same(await named.json(), admins)
  const other = await statement(`/v1/partner/statement?creditorId=${assignment}&from=2026-11-01&to=2026-11-30`, own.authorization)
  t.equal(other.status, 404)
  t.equal((await other.json() as any).code, 'unknown_creditor', 'another creditor: as an unknown one')
  const unknown = await statement(`/v1/partner/statement?creditorId=cred_${'1'.repeat(32)}&from=2026-11-01&to=2026-11-30`, own.authorization)
  t.equal(unknown.status, 404)
  const ambiguous = await statement('/v1/partner/statement?from=2026-11-01&to=2026-11-30', both.authorization)
  t.equal(ambiguous.status, 422)
  t.equal((await ambiguous.json() as any).code, 'statement_creditor_required')
  t.equal((await statement(`/v1/partner/statement?creditorId=${assignment}&from=${today}&to=${today}`, both.authorization)).status, 200)
  t.equal((await statement('/v1/partner/statement?from=2026-11-01&to=2026-11-30', admin.authorization)).status, 403,
    'an admin key is not a partner')
})

const FIGURES = ['opening', 'collected', 'refunded', 'commission', 'remitted', 'closing']

/** The JSON's lines and figures as the table writes them: [record, kind, tiyn, entry id or days]. */
function figuresOfJson (body: any): Array<Array<string | number>> {
  return [
    ...body.lines.map((l: any) => ['line', l.kind, l.amount, l.ledgerEntryId]),
    ...FIGURES.map((f) => ['total', f, body[f], `${String(body.from)}..${String(body.to)}`])
  ]
}

function figuresOfTable (
  t: Test, rows: Array<Record<string, any>>, kzt: (v: any) => number
): Array<Array<string | number>> {
  return rows.map((row) => {
    t.equal(Math.round(kzt(row.amount_kzt) * 100), Number(row.amount_tiyn), 'tenge and tiyn agree')
    const which = row.record === 'line' ? row.ledger_entry_id : `${String(row.period_from)}..${String(row.period_to)}`
    return [row.record, row.kind, Math.round(kzt(row.amount_kzt) * 100), which]
  })
}

t.test('CSV in the excel-ru dialect and XLSX hold the JSON\'s figures', async (t) => {
  const own = await createKey(app, ['partner'], 'agency partner files', [AGENCY])
  const path = '/v1/partner/statement?from=2026-11-01&to=2026-11-30'
  const json = await (await statement(path, own.authorization)).json() as any

  const csv = await statement(`${path}&csvDialect=excel-ru`, own.authorization, 'text/csv')
  t.equal(csv.status, 200)
  t.match(csv.headers.get('content-disposition'), `filename="statement-${creditorId}-2026-11-01_2026-11-30.csv"`)
  const bytes = Buffer.from(await csv.arrayBuffer())
  t.same([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM')
  const text = bytes.toString('utf8').slice(1)
  t.ok(text.startsWith('record;date;time;kind;'), '`;` between fields')
  t.ok(text.includes(';637,50;'), 'a decimal comma: the closing 637,50 tenge')
  const reader = new CsvReader({ delimiter: ';' })
  const [header, ...records] = [...reader.push(text), ...reader.end()].map((r) => r.fields)
  const rows = records.map((fields) => Object.fromEntries((header ?? []).map((name, i) => [name, fields[i] === '' ? null : fields[i] ?? null])))
  t.same(figuresOfTable(t, rows, (v: string) => Number(v.replace(',', '.'))), figuresOfJson(json),
    'the CSV read back holds the JSON\'s figures')

  const xlsx = await statement(path, own.authorization, XLSX_MEDIA_TYPE)
  t.equal(xlsx.status, 200)
  t.equal(xlsx.headers.get('content-type'), XLSX_MEDIA_TYPE)
  const workbook = new ExcelJS.Workbook()
  await workbook.xlsx.load(Buffer.from(await xlsx.arrayBuffer()) as any)
  const sheet = workbook.worksheets[0]
  if (sheet === undefined) throw new Error('no sheet')
  const values: any[][] = []
  sheet.eachRow((row) => { values.push((row.values as any[]).slice(1)) })
  const [xHeader, ...xRecords] = values
  const xRows = xRecords.map((cells) =>
    Object.fromEntries((xHeader ?? []).map((name: string, i: number) => [name, cells[i] ?? null])))
  t.equal(typeof xRows[0]?.amount_kzt, 'number', 'an amount is a number')
  t.same(figuresOfTable(t, xRows, (v: number) => v), figuresOfJson(json), 'the workbook read back holds the JSON\'s figures')
})
