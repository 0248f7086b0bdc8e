import t from 'tap'
import { gzipSync } from 'node:zlib'
import { sql } from 'kysely'
import { createKey, createTestApp, eventually, startTestWorker } from '../helpers/app.js'
import { makeCsv, makeRow } from '../helpers/portfolio.js'
import { applyStagedBatch, processImport, resolveStagedCreditors } from '../../src/modules/debts/import-service.js'
import { claimPayments } from '../../src/modules/payments/claims.js'
import { claimImport, rejectDuplicates, stagedBatches } from '../../src/modules/debts/repository.js'
import { fromPublicId } from '../../src/lib/ids.js'

/**
 * The import through COPY: gzip uploads, the default size limit, and what
 * happens to an import whose worker or database went down mid-way.
 */
const { app, config } = await createTestApp(t)
await startTestWorker(t, app, config)
const operator = await createKey(app, ['operator'])

async function upload (target: typeof app, body: string | Buffer, headers: Record<string, string> = {}) {
  return await target.inject({ method: 'POST', url: '/v1/admin/debt-imports', headers: { authorization: operator.authorization, 'content-type': 'text/csv', ...headers }, payload: body })
}
async function report (target: typeof app, id: string, authorization = operator.authorization) {
  return (await target.inject({ method: 'GET', url: `/v1/admin/debt-imports/${id}`, headers: { authorization } })).json()
}
async function finished (id: string) {
  return await eventually(async () => {
    const r = await report(app, id)
    return r.status === 'completed' || r.status === 'failed' ? r : undefined
  })
}
async function stagedCount (target: typeof app): Promise<bigint> {
  return (await target.db.selectFrom('debt_import_rows').select((eb) => eb.fn.countAll<bigint>().as('n')).executeTakeFirstOrThrow()).n
}

t.test('a gzip-compressed upload (Content-Encoding: gzip) imports like the plain file', async (t) => {
  const rows = Array.from({ length: 50 }, (_, i) => makeRow(70_000 + i))
  const response = await upload(app, gzipSync(makeCsv(rows)), { 'content-encoding': 'gzip' })
  t.equal(response.statusCode, 202)
  t.match(response.json(), { rowsTotal: 50 })
  t.match(await finished(response.json().id), { status: 'completed', rowsImported: 50, rowsRejected: 0 })
  const again = await upload(app, makeCsv(rows))
  t.match(await finished(again.json().id), { status: 'completed', rowsUnchanged: 50 }, 'the same rows, uncompressed, are unchanged')
})

t.test('a broken gzip stream is 422 invalid_csv and leaves nothing behind; another coding is 415', async (t) => {
  const imports = async () => (await app.db.selectFrom('debt_imports').select((eb) => eb.fn.countAll<bigint>().as('n')).executeTakeFirstOrThrow()).n
  const before = await imports()
  const good = gzipSync(makeCsv([makeRow(71_000), makeRow(71_001)]))
  const truncated = await upload(app, good.subarray(0, good.length - 12), { 'content-encoding': 'gzip' })
  t.equal(truncated.statusCode, 422)
  t.equal(truncated.json().code, 'invalid_csv')
  const notGzip = await upload(app, makeCsv([makeRow(71_002)]), { 'content-encoding': 'gzip' })
  t.equal(notGzip.statusCode, 422)
  const brotli = await upload(app, makeCsv([makeRow(71_003)]), { 'content-encoding': 'br' })
  t.equal(brotli.statusCode, 415)
  t.equal(brotli.json().code, 'unsupported_media_type')
  t.equal(await imports(), before, 'no import row was kept')
  t.equal(await stagedCount(app), 0n, 'no staged row was kept')
})

t.test('the compressed size does not get around the limit: it counts the file as it is', async (t) => {
  const { app: small } = await createTestApp(t, { DEBT_IMPORT_MAX_BYTES: '20000' })
  const smallOperator = await createKey(small, ['operator'])
  const csv = makeCsv(Array.from({ length: 400 }, (_, i) => makeRow(72_000 + i)))
  const zipped = gzipSync(csv)
  t.ok(zipped.length < 20_000 && Buffer.byteLength(csv) > 20_000)
  const response = await small.inject({ method: 'POST', url: '/v1/admin/debt-imports', headers: { authorization: smallOperator.authorization, 'content-type': 'text/csv', 'content-encoding': 'gzip' }, payload: zipped })
  t.equal(response.statusCode, 413)
  t.equal(response.json().code, 'payload_too_large')
})

t.test('the default limit takes a million-row portfolio', async (t) => {
  t.ok(config.debtImportMaxBytes >= 512 * 1024 * 1024, `${config.debtImportMaxBytes} bytes`)
})

t.test('a worker that stopped after a batch resumes after it: every row counted once', async (t) => {
  // an app without a worker, so the "crash" is ours to stage
  const { app: staging } = await createTestApp(t)
  const stagingOperator = await createKey(staging, ['operator'])
  const rows = Array.from({ length: 7 }, (_, i) => makeRow(73_000 + i))
  rows.push({ ...rows[0]!, name: 'Дубликат Строки' }) // a duplicate, rejected
  const queued = await upload(staging, makeCsv(rows), { authorization: stagingOperator.authorization })
  const importId = fromPublicId('debtImport', queued.json().id) as string
  // the first attempt: claimed, duplicates out, one batch of 3 committed, then it died
  await claimImport(staging.db, importId)
  await rejectDuplicates(staging.db, importId)
  const batches = await stagedBatches(staging.db, importId, 3)
  t.same(batches.map((b) => b.rows), [3, 3, 1], 'the seven valid rows in batches of three, in line order')
  const creditorIds = await resolveStagedCreditors(staging.db, importId)
  await staging.db.transaction().execute(async (trx) => {
    await applyStagedBatch(trx, { ...batches[1]!, creditorIds }, claimPayments)
  })
  t.match(await report(staging, queued.json().id, stagingOperator.authorization), { status: 'running', rowsImported: 3 })

  await processImport({ db: staging.db, pii: staging.pii, payments: claimPayments }, importId) // the retry
  t.match(await report(staging, queued.json().id, stagingOperator.authorization), { status: 'completed', rowsTotal: 8, rowsImported: 7, rowsUnchanged: 0, rowsRejected: 1 })
  const debts = await staging.db.selectFrom('debts').select((eb) => eb.fn.countAll<bigint>().as('n')).executeTakeFirstOrThrow()
  t.equal(debts.n, 7n, 'one debt per row, none twice')
  const entries = await sql<{ n: bigint }>`select count(*) as n from ledger_entries where kind = 'claim_assigned'`.execute(staging.db)
  t.equal(entries.rows[0]?.n, 7n, 'one claim_assigned per debt')
  const balance = (await staging.inject({ method: 'GET', url: '/v1/admin/ledger/trial-balance', headers: { authorization: (await createKey(staging, ['admin'])).authorization } })).json()
  t.match(balance, { total: 0, consistent: true })
  t.equal(await stagedCount(staging), 0n)
})

t.test('staged rows lost with the database (the table is unlogged) fail the import with a reason, never a short report', async (t) => {
  const { app: staging } = await createTestApp(t)
  const stagingOperator = await createKey(staging, ['operator'])
  const queued = await upload(
    staging,
    makeCsv([makeRow(74_000), makeRow(74_001), makeRow(74_002)]),
    { authorization: stagingOperator.authorization }
  )
  const importId = fromPublicId('debtImport', queued.json().id) as string
  await sql`delete from debt_import_rows where import_id = ${importId} and line = 3`.execute(staging.db) // what a crash recovery does to an unlogged table, in part
  await processImport({ db: staging.db, pii: staging.pii, payments: claimPayments }, importId)
  const r = await report(staging, queued.json().id, stagingOperator.authorization)
  t.match(r, { status: 'failed', rowsImported: 0, failureReason: /1 staged rows were lost.*upload the file again/ })
  t.equal(await stagedCount(staging), 0n, 'what was left staged goes too')
})

t.test('batches applied side by side: a re-import restating claims of several creditors books every row once', async (t) => {
  // small batches, so the two runners interleave over nine of them; the creditors move between rows,
  // so batches post on each other's claims accounts (the case that can deadlock)
  const { app: staging } = await createTestApp(t)
  const stagingOperator = await createKey(staging, ['operator'])
  const creditors = ['АО Кредитор Один', 'ТОО Кредитор Два', 'АО Кредитор Три']
  const first = Array.from({ length: 30 }, (_, i) => makeRow(75_000 + i, { creditor: creditors[i % 3]!, outstanding: `${1000 + i}.00` }))
  const claims = (row: { outstanding: string }) => BigInt(row.outstanding.replace('.', ''))
  const run = async (rows: typeof first) => {
    const queued = await upload(staging, makeCsv(rows), { authorization: stagingOperator.authorization })
    await processImport(
      { db: staging.db, pii: staging.pii, payments: claimPayments },
      fromPublicId('debtImport', queued.json().id) as string, undefined, 4
    )
    return await report(staging, queued.json().id, stagingOperator.authorization)
  }
  t.match(await run(first), { status: 'completed', rowsImported: 30 })

  const second = [
    ...first.map((row, i) => i % 5 === 0 ? row : { ...row, creditor: creditors[(i + 1) % 3]!, outstanding: i % 7 === 0 ? '0.00' : `${2000 + i}.00` }),
    ...Array.from({ length: 5 }, (_, i) => makeRow(75_100 + i, { creditor: creditors[i % 3]! }))
  ]
  t.match(await run(second), { status: 'completed', rowsImported: 5, rowsAdjusted: 24, rowsUnchanged: 6, rowsRejected: 0 })

  const outstanding = await sql<{ contract_number: string, outstanding: string }>`
    select d.contract_number, a.balance::text as outstanding from debts d join ledger_accounts a on a.debt_id = d.id and a.kind = 'receivable'`.execute(staging.db)
  const byContract = new Map(outstanding.rows.map((r) => [r.contract_number, BigInt(r.outstanding)]))
  t.equal(byContract.size, 35, 'one debt per key')
  t.same(second.filter((row) => byContract.get(row.contract) !== claims(row)).map((row) => row.contract), [], 'every debt owes its latest claim')
  const entries = await sql<{ kind: string, n: number }>`select kind, count(*)::int as n from ledger_entries group by kind order by kind`.execute(staging.db)
  t.same(entries.rows, [{ kind: 'claim_adjusted', n: 24 }, { kind: 'claim_assigned', n: 35 }], 'one entry per new debt and per changed claim')
  const claimsTotal = await sql<{ total: string }>`select sum(balance)::text as total from ledger_accounts where kind = 'claims'`.execute(staging.db)
  t.equal(BigInt(claimsTotal.rows[0]!.total), -second.reduce((sum, row) => sum + claims(row), 0n), 'the claims accounts hold every claim as now stated, once')
  const balance = (await staging.inject({ method: 'GET', url: '/v1/admin/ledger/trial-balance', headers: { authorization: (await createKey(staging, ['admin'])).authorization } })).json()
  t.match(balance, { total: 0, consistent: true })
})
