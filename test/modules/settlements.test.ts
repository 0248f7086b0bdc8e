import t from 'tap'
import { createKey, eventually } from '../helpers/app.js'
import { operatorClient } from '../helpers/csv-upload.js'
import { accept, bankPaymentIdOf, createListeningApp, seedDebt, seedDebts, startPayment, submitAtBank } from '../helpers/payments.js'
import { fromPublicId, toPublicId } from '../../src/lib/ids.js'
import { kaspiPay } from '../../src/modules/payments/kaspi.js'
import { listOverduePage, overdueCounts, verifySettlements } from '../../src/modules/settlements/overdue.js'

/**
 * Settlement (DESIGN 18) over real HTTP: an acquirer's payout registry booked once as one `settlement` entry
 * (clearing -gross, bank +net, fees +fee), every line that is not our succeeded, unsettled payment at its amount
 * listed with its reason and its payment flagged; the same payout again books nothing; two uploads at once book once;
 * payments left unsettled past SETTLEMENT_OVERDUE_DAYS business days are listed, counted and alerted on.
 */
const { app, base } = await createListeningApp(t, { CHANNEL_REGISTRY_MAX_BYTES: '4096', CHANNEL_REGISTRY_MAX_LINES: '20' })
const operator = await createKey(app, ['operator'])
const HEADER = 'payout_id,payout_date,reference,amount,fee'

const client = operatorClient(base, operator.authorization)
const get = client.get
async function upload (
  channel: string, body: string, headers: Record<string, string> = {}
): Promise<{ status: number, body: any }> {
  return await client.postCsv(`/v1/admin/settlements?channel=${channel}`, body, headers)
}

const csv = (lines: string[]): string => [HEADER, ...lines].join('\r\n') + '\r\n'

/** Balances of the shared accounts, in tiyn. */
async function balances (): Promise<Record<string, bigint>> {
  const rows = await app.db.selectFrom('ledger_accounts').select(['key', 'balance'])
    .where('key', 'in', ['bank', 'fees:card', 'fees:kaspi', 'clearing:card', 'clearing:kaspi']).execute()
  return Object.fromEntries(rows.map((r) => [r.key, r.balance]))
}

async function settlementEntries (): Promise<number> {
  const row = await app.db.selectFrom('ledger_entries').select((eb) => eb.fn.countAll<string>().as('n'))
    .where('kind', '=', 'settlement').executeTakeFirstOrThrow()
  return Number(row.n)
}

/** A card payment paid at the sandbox bank: its public id and the bank's payment id. */
async function cardPayment (debtId: string, amount: number): Promise<{ id: string, reference: string }> {
  const acceptance = await accept(base, debtId)
  const payment = await (await startPayment(base, acceptance.id, amount)).json() as { id: string, redirectUrl: string }
  await submitAtBank(payment.redirectUrl)
  await eventually(async () => (await get(`/v1/payments/${payment.id}`)).body.status === 'succeeded')
  return { id: payment.id, reference: bankPaymentIdOf(payment) as string }
}

let txns = 0
/** Kaspi pays `sum` tiyn (at `txnDate`, or now): the payment's public id and txn_id. */
async function kaspiPayment (sum: bigint, txnDate: Date | null = null): Promise<{ id: string, reference: string }> {
  const debt = await seedDebt(app, { outstanding: '50000.00' })
  const { payment_code: code } = await app.db.selectFrom('debts').select('payment_code')
    .where('id', '=', fromPublicId('debt', debt.id) as string).executeTakeFirstOrThrow()
  const txnId = `stl-${++txns}`
  const answer = JSON.parse(await kaspiPay({ db: app.db, pii: app.pii }, { txnId, account: code, sum, txnDate })) as
    { result: number }
  if (answer.result !== 0) throw new Error(`pay refused: ${JSON.stringify(answer)}`)
  const row = await app.db.selectFrom('payments').select('id').where('kaspi_txn_id', '=', txnId).executeTakeFirstOrThrow()
  return { id: toPublicId('payment', row.id), reference: txnId }
}

const card: Array<{ id: string, reference: string }> = []

t.test('a payout of ten card payments with fees books one settlement entry that ties', async (t) => {
  const debts = await seedDebts(app, 10, { outstanding: '50000.00' })
  card.push(...await Promise.all(debts.map(async (debt, i) => await cardPayment(debt.id, 100_000 + i * 1_000))))
  const before = await balances()
  // amounts 1000.00 .. 1009.00 tenge; fees 2.5% rounded to the tiyn as the acquirer writes them
  const lines = card.map((p, i) => {
    const amount = 100_000 + i * 1_000
    const fee = Math.round(amount * 0.025)
    return `PO-CARD-1,2026-12-07,${p.reference},${(amount / 100).toFixed(2)},${(fee / 100).toFixed(2)}`
  })
  const gross = card.reduce((sum, _p, i) => sum + 100_000 + i * 1_000, 0)
  const fees = card.reduce((sum, _p, i) => sum + Math.round((100_000 + i * 1_000) * 0.025), 0)

  const first = await upload('card', csv(lines))
  t.equal(first.status, 201)
  t.match(first.body.id, /^stl_[0-9a-f]{32}$/)
  t.match(first.body.entryId, /^le_[0-9a-f]{32}$/)
  t.same(first.body, {
    id: first.body.id,
    channel: 'card',
    payoutId: 'PO-CARD-1',
    payoutDate: '2026-12-07',
    lines: 10,
    matched: 10,
    gross,
    fees,
    net: gross - fees,
    entryId: first.body.entryId,
    unmatched: [],
    createdAt: first.body.createdAt
  })
  const after = await balances()
  t.equal(after['clearing:card'], (before['clearing:card'] as bigint) - BigInt(gross), 'clearing:card down by gross')
  t.equal(after.bank, (before.bank as bigint) + BigInt(gross - fees), 'bank up by net')
  t.equal(after['fees:card'], (before['fees:card'] as bigint) + BigInt(fees), 'fees:card up by the fees')
  t.equal(await settlementEntries(), 1, 'one entry')
  const lineRows = await app.db.selectFrom('ledger_lines').select(['amount'])
    .where('entry_id', '=', fromPublicId('ledgerEntry', first.body.entryId) as string).execute()
  t.same(lineRows.map((l) => l.amount).sort((a, b) => Number(a - b)),
    [-BigInt(gross), BigInt(fees), BigInt(gross - fees)])

  const trial = await get('/v1/admin/ledger/trial-balance')
  t.match(trial.body, { total: 0, consistent: true })
  t.same(trial.body.accounts.map((a: { kind: string }) => a.kind),
    ['bank', 'claims', 'clearing', 'commission', 'creditor_payable', 'fees', 'overpaid', 'receivable'])
  t.match(trial.body.accounts.find((a: { kind: string }) => a.kind === 'fees'), { count: 2, balance: fees })

  // each payment's own ledger is untouched by the payout (a settlement names no debt); its timeline says settled
  const payment = await get(`/v1/admin/payments/${(card[0] as { id: string }).id}`)
  t.match(payment.body, { needsReview: false })
  t.match(payment.body.timeline.at(-1), { type: 'settled', details: { settlementId: first.body.id } })
  const debtLedger = await get(`/v1/admin/debts/${(debts[0] as { id: string }).id}/ledger`)
  t.notOk(debtLedger.body.entries.some((e: { kind: string }) => e.kind === 'settlement'))

  const again = await upload('card', csv(lines))
  t.equal(again.status, 200, 'the same payout again: the stored answer')
  t.same(again.body, first.body)
  const changed = await upload('card', csv(lines.slice(0, 3)))
  t.equal(changed.status, 200, 'another file of the same payout id: the first answer still')
  t.same(changed.body, first.body)
  t.equal(await settlementEntries(), 1, 'nothing booked again')
  t.same(await balances(), after)

  t.same((await get(`/v1/admin/settlements/${first.body.id as string}`)).body, first.body)
  const list = await get('/v1/admin/settlements?channel=card')
  t.equal(list.status, 200)
  t.match(list.body, { data: [{ id: first.body.id, matched: 10, unmatchedCount: 0, gross }], hasMore: false })
  t.same((await get('/v1/admin/settlements?channel=kaspi')).body.data, [])
})

t.test('unknown, duplicated, mis-amounted, not succeeded and settled-before lines are listed and flagged', async (t) => {
  const debts = await seedDebts(app, 3, { outstanding: '50000.00' })
  const good = await cardPayment((debts[0] as { id: string }).id, 50_000)
  const mis = await cardPayment((debts[1] as { id: string }).id, 70_000)
  const acceptance = await accept(base, (debts[2] as { id: string }).id)
  const pending = await (await startPayment(base, acceptance.id, 30_000)).json() as { id: string, redirectUrl: string }
  const settled = card[1] as { id: string, reference: string }
  const before = await balances()

  const response = await upload('card', csv([
    `PO-CARD-2,2026-12-08,${good.reference},500.00,12.50`,
    `PO-CARD-2,2026-12-08,${good.reference},500.00,12.50`,
    'PO-CARD-2,2026-12-08,999000111,100.00,1.00',
    `PO-CARD-2,2026-12-08,${mis.reference},700.01,17.50`,
    `PO-CARD-2,2026-12-08,${bankPaymentIdOf(pending) as string},300.00,7.50`,
    `PO-CARD-2,2026-12-08,${settled.reference},1001.00,25.03`,
    'PO-CARD-2,2026-12-08,4111111111111111,10.00,0'
  ]))
  t.equal(response.status, 201)
  t.match(response.body, { lines: 7, matched: 1, gross: 50_000, fees: 1_250, net: 48_750 })
  t.same(response.body.unmatched, [
    { line: 3, reference: good.reference, reason: 'already_settled' },
    { line: 4, reference: '999000111', reason: 'unknown_payment' },
    { line: 5, reference: mis.reference, reason: 'amount_mismatch' },
    { line: 6, reference: bankPaymentIdOf(pending), reason: 'not_succeeded' },
    { line: 7, reference: settled.reference, reason: 'already_settled' },
    { line: 8, reference: '[withheld: looks like a card number]', reason: 'unknown_payment' }
  ])
  const after = await balances()
  t.equal(after['clearing:card'], (before['clearing:card'] as bigint) - 50_000n, 'only the matched line is booked')
  t.equal(after['fees:card'], (before['fees:card'] as bigint) + 1_250n)

  const review = async (id: string) => (await get(`/v1/admin/payments/${id}`)).body
  t.match(await review(mis.id), { needsReview: true, reviewReason: 'settlement_amount_mismatch' })
  t.match((await review(mis.id)).timeline.at(-1), {
    type: 'settlement_amount_mismatch', details: { settlementId: response.body.id, payoutId: 'PO-CARD-2', line: 5 }
  })
  t.match(await review(pending.id), { status: 'pending', needsReview: true, reviewReason: 'settlement_not_succeeded' })
  t.match(await review(settled.id), { needsReview: true, reviewReason: 'settlement_already_settled' })
  t.match(await review(good.id), { needsReview: true, reviewReason: 'settlement_already_settled' },
    'a line twice in one file: the second flags its payment')
  t.same((await get(`/v1/admin/settlements/${response.body.id as string}`)).body, response.body, 'stored as answered')
  t.match((await get('/v1/admin/settlements?channel=card&limit=1')).body,
    { data: [{ id: response.body.id, unmatchedCount: 6 }], hasMore: true })
})

t.test('two uploads of one payout at once book it once; two payouts naming one payment settle it once', async (t) => {
  const payments = [await kaspiPayment(120_000n), await kaspiPayment(80_000n)]
  const entries = await settlementEntries()
  const file = csv(payments.map((p, i) => `KSP-1,2026-12-07,${p.reference},${i === 0 ? '1200.00' : '800.00'},8.00`))
  const answers = await Promise.all([upload('kaspi', file), upload('kaspi', file), upload('kaspi', file)])
  t.same(answers.map((a) => a.status).sort(), [200, 200, 201])
  t.same(answers[1]?.body, answers[0]?.body)
  t.match(answers[0]?.body, { matched: 2, gross: 200_000, fees: 1_600, net: 198_400 })
  t.equal(await settlementEntries(), entries + 1)

  const third = await kaspiPayment(10_000n)
  const [a, b] = await Promise.all([
    upload('kaspi', csv([`KSP-2,2026-12-08,${third.reference},100.00,0`])),
    upload('kaspi', csv([`KSP-3,2026-12-08,${third.reference},100.00,0`]))
  ])
  t.same([a?.status, b?.status], [201, 201])
  t.same([a?.body.matched, b?.body.matched].sort(), [0, 1], 'one payout settles it')
  t.match([...(a?.body.unmatched ?? []), ...(b?.body.unmatched ?? [])], [{ reason: 'already_settled' }])
  t.equal(await settlementEntries(), entries + 2, 'a payout that matched nothing books nothing')
  const rows = await app.db.selectFrom('payment_settlements').select('settlement_id')
    .where('payment_id', '=', fromPublicId('payment', third.id) as string).execute()
  t.equal(rows.length, 1)
  t.match((await get('/v1/admin/ledger/trial-balance')).body, { total: 0, consistent: true })
})

t.test('succeeded payments left unsettled past the business days are overdue: listed, counted, alerted on', async (t) => {
  // Thursday 2026-10-15 in Almaty; SETTLEMENT_OVERDUE_DAYS 3. Paid by Sunday 10-11: due Wednesday 10-14, overdue.
  // Paid on Monday 10-12 (from 2026-10-11T19:00Z): due Thursday, not yet.
  const now = new Date('2026-10-15T05:00:00Z')
  const friday = await kaspiPayment(11_000n, new Date('2026-10-09T10:00:00Z'))
  const sunday = await kaspiPayment(12_000n, new Date('2026-10-11T18:59:59Z'))
  const monday = await kaspiPayment(13_000n, new Date('2026-10-11T19:00:00Z'))
  const settledOne = await kaspiPayment(14_000n, new Date('2026-10-08T10:00:00Z'))
  t.equal((await upload('kaspi', csv([`KSP-OLD,2026-10-09,${settledOne.reference},140.00,1.40`]))).status, 201)

  const page = await listOverduePage(app.db, 3, { channel: 'kaspi' }, now)
  t.same(page.data.map((p) => p.id), [friday.id, sunday.id], 'by Sunday overdue; Monday not; the settled one not')
  t.match(page.data[0], { channel: 'kaspi', amount: 11_000, reference: friday.reference, dueDate: '2026-10-14' })
  t.same(await overdueCounts(app.db, 3, now), { card: 0, kaspi: 2 })

  // a holiday on Tuesday 10-13 moves Friday's due day to Thursday: not overdue yet
  await app.db.insertInto('non_working_days').values({ date: '2026-10-13', kind: 'decree', name: 'Test day off' }).execute()
  t.same((await listOverduePage(app.db, 3, {}, now)).data.map((p) => p.id), [],
    'with Tuesday off, Sunday and Friday are due Thursday')
  t.same((await listOverduePage(app.db, 2, {}, now)).data.map((p) => p.id), [friday.id, sunday.id])

  const logged: Array<{ level: string, msg: string }> = []
  const log = {
    error: (_obj: object, msg: string) => { logged.push({ level: 'error', msg }) },
    info: (_obj: object, msg: string) => { logged.push({ level: 'info', msg }) }
  }
  t.same(await verifySettlements(app.db, 3, log, now), { card: 0, kaspi: 0 })
  t.same(await verifySettlements(app.db, 2, log, now), { card: 0, kaspi: 2 })
  t.same(logged.map((l) => l.level), ['info', 'error'], 'the daily check alerts at error level')

  // today, over HTTP: all three October payments are long overdue, paged oldest first; the settled one is not
  const first = await get('/v1/admin/settlements/overdue?channel=kaspi&limit=2')
  t.equal(first.status, 200)
  t.same(first.body.data.map((p: { id: string }) => p.id), [friday.id, sunday.id])
  t.equal(first.body.hasMore, true)
  const next = await get(`/v1/admin/settlements/overdue?channel=kaspi&limit=2&startingAfter=${first.body.nextCursor as string}`)
  t.same(next.body.data.map((p: { id: string }) => p.id), [monday.id])
  t.same((await get('/v1/admin/settlements/overdue?channel=card')).body.data, [], 'today\'s card payments are not due')

  const metrics = await (await fetch(`${base}/metrics`)).text()
  t.match(metrics, /debt_payments_settlements_overdue\{[^}]*channel="kaspi"[^}]*\} 3/)
  t.match(metrics, /debt_payments_settlements_overdue\{[^}]*channel="card"[^}]*\} 0/)
})

t.test('a bad upload is refused whole, never a 500', async (t) => {
  const p = await kaspiPayment(20_000n)
  const entries = await settlementEntries()
  const bad = await upload('kaspi', csv([
    `KSP-BAD,2026-12-07,${p.reference},200.00,0.00`,
    `KSP-BAD,2026-12-07,${p.reference},200.00,300.00`,
    'KSP-BAD,2026-12-07,x,abc,0',
    'KSP-OTHER,2026-12-07,y,1.00,0',
    'KSP-BAD,2026-02-30,z,1.00,0',
    'KSP-BAD,2026-12-07,z,1.00'
  ]))
  t.equal(bad.status, 422)
  t.match(bad.body, { code: 'invalid_csv' })
  t.same(bad.body.errors.map((e: { path: string }) => e.path),
    ['body.line[3]', 'body.line[4]', 'body.line[5]', 'body.line[6]', 'body.line[7]'])
  t.match(bad.body.errors[0].message, /fee must not exceed amount/)
  t.match(bad.body.errors[2].message, /one payout per file/)

  t.match(await upload('kaspi', 'payout,date,ref,amount,fee\r\nA,2026-12-07,x,1.00,0\r\n'), { status: 422, body: { code: 'invalid_csv_header' } })
  t.match(await upload('kaspi', `${HEADER}\r\n`), { status: 422, body: { code: 'invalid_csv' } })
  t.match(await upload('kaspi', csv([`KSP-J,2026-12-07,${p.reference},200.00,0`]), { 'content-type': 'application/json' }),
    { status: 415, body: { code: 'unsupported_media_type' } })
  t.match(await upload('bank', csv([`KSP-J,2026-12-07,${p.reference},200.00,0`])), { status: 400, body: { code: 'validation_failed' } })
  t.match(await upload('kaspi', 'x'.repeat(5000)), { status: 413, body: { code: 'payload_too_large' } })
  const many = csv(Array.from({ length: 21 }, (_v, i) => `KSP-M,2026-12-07,r${i},1.00,0`))
  t.match(await upload('kaspi', many), { status: 413, body: { code: 'payload_too_large' } })
  t.match(await get('/v1/admin/settlements/stl_0193b3f2a4c07d1e8b5a2f6c9d0e1f23'), { status: 404, body: { code: 'settlement_not_found' } })
  const noKey = await fetch(`${base}/v1/admin/settlements`)
  t.equal(noKey.status, 401)
  t.equal(await settlementEntries(), entries, 'nothing booked')
  t.match((await get(`/v1/admin/payments/${p.id}`)).body, { needsReview: false })
})

t.test('a payout of payments refunded since, more than clearing holds, is refused whole', async (t) => {
  const refunded = await kaspiPayment(4_000_000n)
  const response = await fetch(`${base}/v1/admin/payments/${refunded.id}/external-refunds`, {
    method: 'POST',
    headers: { authorization: operator.authorization, 'content-type': 'application/json' },
    body: JSON.stringify({ amount: 4_000_000, reference: 'KASPI-RET-1' })
  })
  t.equal(response.status, 201, await response.text())
  const before = await balances()
  t.ok((before['clearing:kaspi'] as bigint) < 4_000_000n, 'clearing:kaspi holds less than the payment now')
  const entries = await settlementEntries()
  const refused = await upload('kaspi', csv([`KSP-REF,2026-12-09,${refunded.reference},40000.00,100.00`]))
  t.match(refused, { status: 409, body: { code: 'settlement_exceeds_clearing' } })
  t.equal(await settlementEntries(), entries)
  t.same(await balances(), before)
  t.equal((await get('/v1/admin/settlements?channel=kaspi')).body.data
    .filter((s: { payoutId: string }) => s.payoutId === 'KSP-REF').length, 0, 'nothing stored: it may come again')
})
