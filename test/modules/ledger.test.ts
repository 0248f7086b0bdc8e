import t, { type Test } from 'tap'
import { sql, type RawBuilder } from 'kysely'
import { createKey, eventually, startTestWorker } from '../helpers/app.js'
import { accept, createListeningApp, outstandingOf, PAYER, postJson, startPayment, submitAtBank } from '../helpers/payments.js'
import { importPortfolio, makeRow, type PortfolioRow } from '../helpers/portfolio.js'
import { fromPublicId } from '../../src/lib/ids.js'
import { foldCreditorName } from '../../src/lib/creditor-names.js'
import { verifyTrialBalance } from '../../src/modules/ledger/service.js'

/**
 * The ledger over HTTP: portfolios imported through the
 * worker, payments paid at the sandbox bank, refunds and returns executed
 * by the worker; then the debt's ledger and the trial balance.
 */
const { app, base, config } = await createListeningApp(t)
await startTestWorker(t, app, config)
const operator = await createKey(app, ['operator'])
const asOperator = { authorization: operator.authorization }

async function get (path: string): Promise<{ status: number, body: Record<string, any> }> {
  const response = await fetch(`${base}${path}`, { headers: asOperator })
  return { status: response.status, body: await response.json() as Record<string, any> }
}

async function debtOf (row: PortfolioRow): Promise<Record<string, any>> {
  const page = await get(`/v1/admin/debts?contractNumber=${encodeURIComponent(row.contract)}`)
  return page.body.data[0] as Record<string, any>
}

async function pay (debtId: string, amount: number): Promise<{ id: string }> {
  const acceptance = await accept(base, debtId)
  const payment = await (await startPayment(base, acceptance.id, amount)).json() as { id: string, redirectUrl: string }
  await submitAtBank(payment.redirectUrl)
  await eventually(async () => (await fetch(`${base}/v1/payments/${payment.id}`).then(async (r) => await r.json() as Record<string, any>)).status === 'succeeded')
  return payment
}

async function assertTiesOut (t: Test, label: string): Promise<Record<string, any>> {
  const balance = await get('/v1/admin/ledger/trial-balance')
  t.equal(balance.status, 200)
  t.match(balance.body, { currency: 'KZT', total: 0, consistent: true, checkedAt: String }, `${label}: the trial balance is zero and consistent`)
  return balance.body
}

t.test('pay half, re-import with a corrected name, then at a higher claim: collections are never overwritten', async (t) => {
  const row = makeRow(4242, { outstanding: '100000.00' })
  const first = await importPortfolio(app, operator.authorization, [row])
  t.match(first, { rowsImported: 1, rowsAdjusted: 0, rowsUnchanged: 0 })
  const debt = await debtOf(row)
  t.match(debt, { outstanding: { amount: 10_000_000 }, claimAmount: { amount: 10_000_000 }, status: 'active' })

  const payment = await pay(debt.id, 5_000_000)
  t.equal(await outstandingOf(app, debt.id), 5_000_000n)

  const renamed = await importPortfolio(app, operator.authorization, [{ ...row, name: 'Иванов Иван Иванович' }])
  t.match(renamed, { rowsImported: 1, rowsAdjusted: 0, rowsUnchanged: 0 }, 'a corrected name is descriptive data')
  t.match(await debtOf(row), { debtorName: 'Иванов Иван Иванович', outstanding: { amount: 5_000_000 }, status: 'active' }, 'outstanding stays 50 000')

  const same = await importPortfolio(app, operator.authorization, [{ ...row, name: 'Иванов Иван Иванович' }])
  t.match(same, { rowsImported: 0, rowsAdjusted: 0, rowsUnchanged: 1 }, 'an unchanged row writes nothing')

  const raised = await importPortfolio(app, operator.authorization, [{ ...row, name: 'Иванов Иван Иванович', outstanding: '120000.00' }])
  t.match(raised, { rowsImported: 0, rowsAdjusted: 1, rowsUnchanged: 0 })
  t.match(await debtOf(row), { outstanding: { amount: 7_000_000 }, claimAmount: { amount: 12_000_000 } }, 'outstanding becomes 70 000')

  const ledger = await get(`/v1/admin/debts/${debt.id as string}/ledger`)
  t.equal(ledger.status, 200)
  t.match(ledger.body, { debtId: debt.id, claimAmount: 12_000_000, collectedAmount: 5_000_000, outstanding: 7_000_000 })
  const entries = ledger.body.entries as Array<Record<string, any>>
  t.same(entries.map((e) => [e.kind, e.amount]), [['claim_assigned', 10_000_000], ['payment_received', -5_000_000], ['claim_adjusted', 2_000_000]])
  t.match(entries, [
    { id: /^le_[0-9a-f]{32}$/, reference: { type: 'import', id: first.id }, createdAt: String },
    { reference: { type: 'payment', id: payment.id } },
    { reference: { type: 'import', id: raised.id } }
  ])
  t.equal(entries.reduce((sum, e) => sum + (e.amount as number), 0), 7_000_000, 'the entries sum to the outstanding')
  await assertTiesOut(t, 'after the re-imports')
})

t.test('a claim lowered below what was collected: the debt closes and the surplus is overpaid on the latest payment, flagged', async (t) => {
  const row = makeRow(4343, { outstanding: '100000.00' })
  await importPortfolio(app, operator.authorization, [row])
  const debt = await debtOf(row)
  const older = await pay(debt.id, 3_000_000)
  const latest = await pay(debt.id, 3_000_000)

  const lowered = await importPortfolio(app, operator.authorization, [{ ...row, outstanding: '50000.00' }])
  t.match(lowered, { rowsAdjusted: 1 })
  t.match(await debtOf(row), { outstanding: { amount: 0 }, status: 'closed' })
  const payments = await get(`/v1/admin/payments?contractNumber=${encodeURIComponent(row.contract)}`)
  const byId = new Map((payments.body.data as Array<Record<string, any>>).map((p) => [p.id, p]))
  t.match(byId.get(latest.id), { overpaidAmount: 1_000_000, needsReview: true, reviewReason: 'overpaid' }, 'the 10 000 surplus sits on the latest payment')
  t.match(byId.get(older.id), { overpaidAmount: 0, needsReview: false })
  await assertTiesOut(t, 'after lowering')

  // raised again: the surplus is absorbed before the debt grows
  await importPortfolio(app, operator.authorization, [{ ...row, outstanding: '70000.00' }])
  t.match(await debtOf(row), { outstanding: { amount: 1_000_000 }, status: 'active' }, 'claim 70 000 - collected 60 000')
  const after = await get(`/v1/admin/payments/${latest.id}`)
  t.equal(after.body.overpaidAmount, 0)
  const ledger = await get(`/v1/admin/debts/${debt.id as string}/ledger`)
  t.match(ledger.body, { claimAmount: 7_000_000, collectedAmount: 6_000_000, outstanding: 1_000_000 })
  await assertTiesOut(t, 'after raising')
})

t.test('recall and its undoing go through the ledger; active and closed follow the outstanding amount', async (t) => {
  const row = makeRow(4444, { outstanding: '20000.00' })
  await importPortfolio(app, operator.authorization, [row])
  const debt = await debtOf(row)
  await pay(debt.id, 500_000)
  const patch = async (status: string) => await fetch(`${base}/v1/admin/debts/${debt.id as string}`, { method: 'PATCH', headers: { ...asOperator, 'content-type': 'application/json' }, body: JSON.stringify({ status }) })

  const closed = await patch('closed')
  t.equal(closed.status, 409)
  t.equal((await closed.json() as Record<string, any>).code, 'debt_status_follows_outstanding')

  const recalled = await patch('recalled')
  t.equal(recalled.status, 200)
  t.match(await recalled.json(), { status: 'recalled', outstanding: { amount: 0 } })
  let ledger = await get(`/v1/admin/debts/${debt.id as string}/ledger`)
  t.same((ledger.body.entries as Array<Record<string, any>>).map((e) => [e.kind, e.amount]), [['claim_assigned', 2_000_000], ['payment_received', -500_000], ['claim_recalled', -1_500_000]])
  t.match(ledger.body, { claimAmount: 500_000, collectedAmount: 500_000, outstanding: 0 })
  await assertTiesOut(t, 'after the recall')

  const changed = await importPortfolio(app, operator.authorization, [{ ...row, outstanding: '25000.00' }])
  t.match(changed, { rowsAdjusted: 1 })
  t.match(await debtOf(row), { status: 'recalled', outstanding: { amount: 0 }, claimAmount: { amount: 2_500_000 } }, 'a recalled debt stays recalled')

  const reinstated = await patch('active')
  t.equal(reinstated.status, 200)
  t.match(await reinstated.json(), { status: 'active', outstanding: { amount: 2_000_000 } }, 'the claim as last stated, minus what was collected')
  ledger = await get(`/v1/admin/debts/${debt.id as string}/ledger`)
  t.match(ledger.body.entries.at(-1), { kind: 'claim_adjusted', amount: 2_000_000, reference: { type: 'debt', id: debt.id } })
  await assertTiesOut(t, 'after undoing the recall')
})

t.test('after import, pay, refund and return the trial balance is zero and consistent', async (t) => {
  const rows = [makeRow(4545, { outstanding: '50000.00' }), makeRow(4546, { outstanding: '10000.00' })]
  await importPortfolio(app, operator.authorization, rows)
  const [first, second] = [await debtOf(rows[0] as PortfolioRow), await debtOf(rows[1] as PortfolioRow)]
  const refunded = await pay(first.id, 2_000_000)
  const returned = await pay(second.id, 1_000_000)
  t.match(await debtOf(rows[1] as PortfolioRow), { status: 'closed' })

  const request = await (await postJson(`${base}/v1/refund-requests`, { paymentId: refunded.id, email: PAYER.email, amount: 500_000, reason: 'Оплатил лишнее' })).json() as Record<string, any>
  t.equal((await postJson(`${base}/v1/admin/refund-requests/${request.id as string}/decision`, { decision: 'approve', responseText: 'Одобрено' }, asOperator)).status, 200)
  t.equal((await postJson(`${base}/v1/admin/payments/${returned.id}/return`, { reason: 'Подозрительный платёж' }, asOperator)).status, 202)
  await eventually(async () => (await get(`/v1/admin/payments/${returned.id}`)).body.status === 'returned' && (await get(`/v1/admin/payments/${refunded.id}`)).body.refundedAmount === 500_000)

  t.equal(await outstandingOf(app, first.id), 3_500_000n)
  t.match(await debtOf(rows[1] as PortfolioRow), { outstanding: { amount: 1_000_000 }, status: 'active' }, 'a returned payment reopens the debt')
  const kinds = ((await get(`/v1/admin/debts/${second.id as string}/ledger`)).body.entries as Array<Record<string, any>>).map((e) => e.kind)
  t.same(kinds, ['claim_assigned', 'payment_received', 'payment_returned'])
  const refundKinds = ((await get(`/v1/admin/debts/${first.id as string}/ledger`)).body.entries as Array<Record<string, any>>).map((e) => [e.kind, e.reference.type])
  t.same(refundKinds, [['claim_assigned', 'import'], ['payment_received', 'payment'], ['refund_paid', 'refund']])
  const balance = await assertTiesOut(t, 'after the full flow')
  const clearing = (balance.accounts as Array<Record<string, any>>).find((a) => a.kind === 'clearing')
  t.ok(clearing !== undefined && clearing.balance > 0, 'the channels hold what was collected and not given back')
})

t.test('the reading endpoints: operator scope, unknown debts 404', async (t) => {
  t.equal((await fetch(`${base}/v1/admin/ledger/trial-balance`)).status, 401)
  const partner = await createKey(app, ['partner'])
  t.equal((await fetch(`${base}/v1/admin/ledger/trial-balance`, { headers: { authorization: partner.authorization } })).status, 403)
  const admin = await createKey(app, ['admin'])
  t.equal((await fetch(`${base}/v1/admin/ledger/trial-balance`, { headers: { authorization: admin.authorization } })).status, 200, 'admin implies operator')
  const missing = await get('/v1/admin/debts/debt_0193b3f2a4c07d1e8b5a2f6c9d0e1f23/ledger')
  t.equal(missing.status, 404)
  t.equal(missing.body.code, 'debt_not_found')
})

/** The claims accounts of the creditors these names (any spelling) stand for (DESIGN 18: keyed by creditor id). */
function claimsAccounts (creditors: string[]) {
  return app.db.selectFrom('ledger_accounts').innerJoin('creditor_names', 'creditor_names.creditor_id', 'ledger_accounts.creditor_id')
    .select('ledger_accounts.id').where('ledger_accounts.kind', '=', 'claims').where('creditor_names.key', 'in', creditors.map(foldCreditorName))
}

t.test('the database guards the books', async (t) => {
  const row = makeRow(4646, { outstanding: '1000.00' })
  await importPortfolio(app, operator.authorization, [row])
  const debtId = fromPublicId('debt', (await debtOf(row)).id as string) as string
  const receivable = await app.db.selectFrom('ledger_accounts').select(['id', 'balance']).where('debt_id', '=', debtId).where('kind', '=', 'receivable').executeTakeFirstOrThrow()
  const claims = await claimsAccounts([row.creditor]).executeTakeFirstOrThrow()
  const acquirer = await app.db.selectFrom('ledger_accounts').select('id').where('key', '=', 'clearing:card').executeTakeFirstOrThrow()

  await t.rejects(sql`update ledger_lines set amount = amount + 1`.execute(app.db), /append-only: UPDATE refused/, 'lines are never updated')
  await t.rejects(sql`delete from ledger_lines`.execute(app.db), /append-only: DELETE refused/, 'nor deleted')
  await t.rejects(sql`update ledger_entries set kind = 'claim_adjusted'`.execute(app.db), /append-only: UPDATE refused/, 'entries are never updated')
  await t.rejects(sql`delete from ledger_entries`.execute(app.db), /append-only: DELETE refused/, 'nor deleted')
  await t.rejects(sql`truncate ledger_lines, ledger_entries`.execute(app.db), /append-only: TRUNCATE refused/, 'nor truncated')
  await t.rejects(sql`update ledger_accounts set balance = 0 where id = ${receivable.id}`.execute(app.db), /balances move only through ledger lines/, 'a balance is never written directly')

  const entry = (id: string) => sql`insert into ledger_entries (id, kind, debt_id, reference_type, reference_id) values (${id}::uuid, 'claim_adjusted', ${debtId}, 'debt', ${debtId})`
  // an entry is written with its lines, in one statement
  const posted = (id: string, lines: RawBuilder<unknown>) => sql`with e as (${entry(id)} returning id) insert into ledger_lines (entry_id, account_id, amount) values ${lines}`
  const one = '00000000-0000-7000-8000-000000000001'
  await t.rejects(entry(one).execute(app.db), /unbalanced: 0 line\(s\)/, 'an entry without lines is refused')
  await t.rejects(posted(one, sql`(${one}::uuid, ${receivable.id}, 100)`).execute(app.db), /unbalanced/, 'an entry whose lines do not sum to zero is refused')
  await t.rejects(app.db.transaction().execute(async (trx) => {
    await posted(one, sql`(${one}::uuid, ${receivable.id}, 100), (${one}::uuid, ${claims.id}, -100)`).execute(trx)
    await sql`insert into ledger_lines (entry_id, account_id, amount) values (${one}::uuid, ${acquirer.id}, 1)`.execute(trx)
  }), /unbalanced: lines added to it sum to 1/, 'lines added later in the transaction must balance among themselves')
  await t.rejects(posted(one, sql`(${one}::uuid, ${receivable.id}, 100), ('00000000-0000-7000-8000-0000000000ff'::uuid, ${claims.id}, -100)`).execute(app.db),
    { code: '23503' }, 'a line naming no entry is refused as a foreign-key violation')
  await t.rejects(posted(one, sql`(${one}::uuid, ${receivable.id}, 100), (${one}::uuid, '00000000-0000-7000-8000-0000000000ee'::uuid, -100)`).execute(app.db),
    { code: '23503' }, 'a line naming no account is refused as a foreign-key violation')
  await t.rejects(sql`with e as (insert into ledger_entries (id, kind, debt_id, reference_type, reference_id) values (${one}::uuid, 'claim_adjusted', '00000000-0000-7000-8000-0000000000dd', 'debt', ${debtId}) returning id)
    insert into ledger_lines (entry_id, account_id, amount) values (${one}::uuid, ${receivable.id}, 100), (${one}::uuid, ${claims.id}, -100)`.execute(app.db),
  { code: '23503' }, 'an entry naming no debt is refused as a foreign-key violation')
  await t.rejects(sql`insert into ledger_accounts (key, kind, debt_id) values ('receivable:nobody', 'receivable', '00000000-0000-7000-8000-0000000000dd')`.execute(app.db),
    { code: '23503' }, 'an account naming no debt is refused as a foreign-key violation')
  const nowhere = '00000000-0000-7000-8000-0000000000cc'
  await t.rejects(sql`update debts set import_id = ${nowhere}::uuid where id = ${debtId}`.execute(app.db),
    { code: '23503' }, 'a debt restated to an import that does not exist is refused as a foreign-key violation')
  await t.rejects(sql`
    insert into debts (id, contract_number, contract_number_normalized, debtor_iin_encrypted, debtor_iin_index, debtor_name_encrypted, creditor, creditor_id, claim_amount, source_hash, import_id)
    select gen_random_uuid(), contract_number, contract_number_normalized || '-other', debtor_iin_encrypted, debtor_iin_index, debtor_name_encrypted, creditor, creditor_id, claim_amount, source_hash, ${nowhere}::uuid
      from debts where id = ${debtId}`.execute(app.db), { code: '23503' }, 'and so is a new debt naming one')
  await t.rejects(sql`delete from debts where id = ${debtId}`.execute(app.db), /never deleted/, 'a debt is never deleted: the books keep it')
  await t.rejects(sql`delete from debt_imports`.execute(app.db), /never deleted/, 'nor is an import')

  const two = '00000000-0000-7000-8000-000000000002'
  await t.rejects(posted(two, sql`(${two}::uuid, ${receivable.id}, ${-(receivable.balance + 1n)}), (${two}::uuid, ${claims.id}, ${receivable.balance + 1n})`).execute(app.db),
    /ledger_accounts_receivable_not_negative/, 'a receivable never goes below zero, even balanced')

  const existing = await app.db.selectFrom('ledger_entries').select('id').where('debt_id', '=', debtId).executeTakeFirstOrThrow()
  await t.rejects(sql`insert into ledger_lines (entry_id, account_id, amount) values (${existing.id}, ${acquirer.id}, 1)`.execute(app.db), /same transaction/, 'a committed entry takes no new lines')

  t.equal((await app.db.selectFrom('ledger_accounts').select('balance').where('id', '=', receivable.id).executeTakeFirstOrThrow()).balance, 100_000n, 'nothing moved')
  await assertTiesOut(t, 'after the refused writes')
})

t.test('postings take the accounts others can write in id order, so two writers never deadlock', async (t) => {
  // four creditors: four claims accounts, each shared by every posting on its creditor's debts
  const rows = [0, 1, 2, 3].map((i) => makeRow(4701 + i, { outstanding: '1000.00', creditor: `ТОО «Кредитор ${i}»` }))
  await importPortfolio(app, operator.authorization, rows)
  const debtId = fromPublicId('debt', (await debtOf(rows[0] as PortfolioRow)).id as string) as string
  const claims = (await claimsAccounts(rows.map((r) => r.creditor)).orderBy('ledger_accounts.id').execute()).map((c) => c.id)
  t.equal(claims.length, 4)
  const [first, second, third] = await Promise.all([app.dbPool.connect(), app.dbPool.connect(), app.dbPool.connect()])
  t.teardown(() => { for (const client of [first, second, third]) client.release(true) })
  const secondPid = (second as unknown as { processID: number }).processID
  let entries = 0
  const post = async (client: typeof first, credit: string, debit: string): Promise<void> => {
    const id = `00000000-0000-7000-8000-${String(4700 + ++entries).padStart(12, '0')}`
    await client.query(`with e as (insert into ledger_entries (id, kind, debt_id, reference_type, reference_id) values ($1, 'claim_adjusted', $2, 'debt', $2) returning id)
      insert into ledger_lines (entry_id, account_id, amount) values ($1, $3, 1), ($1, $4, -1)`, [id, debtId, credit, debit])
  }

  // every pair of accounts (the order a balance update would meet them in, were they not locked first, is the hash's)
  for (const [i, low] of claims.entries()) {
    for (const high of claims.slice(i + 1)) {
      await first.query('begin')
      await first.query('select 1 from ledger_accounts where id = $1 for no key update', [low])
      await second.query('begin')
      // high then low in its lines: the trigger takes low first, waits there
      // for the first writer, and holds nothing meanwhile
      const waiting = post(second, high, low)
      await eventually(async () => (await third.query<{ wait: string | null }>('select wait_event_type as wait from pg_stat_activity where pid = $1', [secondPid])).rows[0]?.wait === 'Lock')
      await third.query('begin')
      await t.resolves(third.query('select 1 from ledger_accounts where id = $1 for no key update nowait', [high]), 'the waiting writer holds no account it has not reached in id order')
      await third.query('rollback')
      // the first writer now needs high as well: free, so no deadlock
      await t.resolves(post(first, low, high), 'the first writer takes the other account')
      await first.query('rollback')
      await t.resolves(waiting, 'the second writer goes on once the first is done')
      await second.query('rollback')
    }
  }
  await assertTiesOut(t, 'after every writer rolled back')
})

t.test('the daily check logs at error level when a balance differs from its lines', async (t) => {
  const logged: Array<{ level: string, msg: string }> = []
  const log = { error: (_: object, msg: string) => { logged.push({ level: 'error', msg }) }, info: (_: object, msg: string) => { logged.push({ level: 'info', msg }) } }
  t.equal((await verifyTrialBalance(app.db, log)).consistent, true)
  t.same(logged, [{ level: 'info', msg: 'ledger trial balance ties out' }])

  // Corrupt one balance behind the ledger's back (the guard trigger off, as only a superuser could).
  const acquirer = await app.db.selectFrom('ledger_accounts').select('id').where('key', '=', 'clearing:card').executeTakeFirstOrThrow()
  await app.db.transaction().execute(async (trx) => {
    await sql`alter table ledger_accounts disable trigger ledger_accounts_guard`.execute(trx)
    await sql`update ledger_accounts set balance = balance + 1 where id = ${acquirer.id}`.execute(trx)
    await sql`alter table ledger_accounts enable trigger ledger_accounts_guard`.execute(trx)
  })
  const broken = await verifyTrialBalance(app.db, log)
  t.match(broken, { consistent: false, total: 1 })
  t.match(logged.at(-1), { level: 'error', msg: 'ledger trial balance does not tie out' })
  t.match((await get('/v1/admin/ledger/trial-balance')).body, { consistent: false })
})
