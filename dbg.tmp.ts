import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { sql } from 'kysely'
import { buildApp } from './src/app.js'
import { startEmbeddedPostgres } from './src/db/embedded.js'
import { migrateDatabase } from './src/startup.js'
import { createApiKey } from './src/modules/api-keys/service.js'
import { testConfig } from './test/helpers/app.js'
import { HEADER, makeRow, toCsvLine } from './test/helpers/portfolio.js'
import * as repo from './src/modules/debts/repository.js'
import { assignClaimsFrom } from './src/modules/ledger/service.js'
const N = Number(process.env.N ?? 100000)
const dir = mkdtempSync(join(tmpdir(), 'dbg-')); chmodSync(dir, 0o755)
const embedded = await startEmbeddedPostgres({ baseDir: dir })
const url = embedded.url('postgres')
await migrateDatabase(url, pino({ level: 'warn' }))
const config = testConfig(url, {})
const app = await buildApp(config, { logger: { level: 'warn' } })
const admin = await createApiKey(app.db, null, { name: 'b', scopes: ['admin'] })
const lines = [HEADER]; for (let i = 0; i < N; i++) lines.push(toCsvLine(makeRow(5_000_000 + i)))
const body = lines.join('\n') + '\n'
let t = performance.now()
const r = await app.inject({ method: 'POST', url: '/v1/admin/debt-imports', headers: { authorization: `Bearer ${admin.key}`, 'content-type': 'text/csv' }, payload: body })
console.log('upload', r.statusCode, ((performance.now() - t) / 1000).toFixed(2))
const importId = (await app.db.selectFrom('debt_imports').select('id').executeTakeFirstOrThrow()).id
const time = async <T>(name: string, f: () => Promise<T>): Promise<T> => { const s = performance.now(); const v = await f(); console.log(name.padEnd(20), ((performance.now() - s) / 1000).toFixed(3)); return v }
await time('claim', () => repo.claimImport(app.db, importId))
await time('dups', () => repo.rejectDuplicates(app.db, importId))
const batch = (await time('batch', () => repo.nextStagedBatch(app.db, importId, 50000)))!
await app.db.transaction().execute(async (trx) => {
  await time('lock', () => repo.lockStagedChanges(trx, batch))
  await time('count', () => repo.countStagedRows(trx, batch))
  const creditors = await time('creditors', () => repo.stagedCreditors(trx, batch))
  const { ensureClaimsAccounts } = await import('./src/modules/ledger/repository.js')
  await ensureClaimsAccounts(trx, creditors)
  const src = repo.insertStagedDebts(batch)
  const plan = await sql<any>`explain (analyze, timing) with src as (${src}),
    receivables as (
      insert into ledger_accounts (key, kind, debt_id)
      select 'receivable:debt_' || replace(src.debt_id::text, '-', ''), 'receivable', src.debt_id from src
      returning id, debt_id),
    entries as (
      insert into ledger_entries (id, kind, debt_id, reference_type, reference_id)
      select uuid_generate_v7(), 'claim_assigned', src.debt_id, 'import', ${importId}::uuid from src where src.amount > 0
      returning id, debt_id),
    lines as (
      insert into ledger_lines (entry_id, account_id, amount)
      select e.id, r.id, src.amount from entries e join src on src.debt_id = e.debt_id join receivables r on r.debt_id = e.debt_id
      union all
      select e.id, c.id, -src.amount from entries e join src on src.debt_id = e.debt_id join ledger_accounts c on c.key = 'claims:' || src.creditor)
    select count(*)::int as debts from src`.execute(trx)
  console.log(plan.rows.map((r: any) => r['QUERY PLAN']).filter((l: string) => /Trigger|Execution/.test(l)).join('\n'))
  const t0 = performance.now()
  await sql`set constraints all immediate`.execute(trx)
  console.log('deferred checks', ((performance.now() - t0) / 1000).toFixed(3))
  await time('complete', () => repo.completeStagedBatch(trx, batch, { imported: 1, unchanged: 0, adjusted: 0 }))
  const s = performance.now()
  ;(trx as any).__commitStart = s
})
const st = await sql<any>`select n_tup_upd, n_tup_hot_upd from pg_stat_user_tables where relname = 'ledger_accounts'`.execute(app.db)
console.log(st.rows)
console.log('done')
await app.close(); await embedded.stop(); rmSync(dir, { recursive: true, force: true })
