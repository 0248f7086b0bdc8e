import { rmSync } from 'node:fs'
import { availableParallelism, loadavg } from 'node:os'
import { join } from 'node:path'
import { destination, pino } from 'pino'
import fc from 'fast-check'
import { sql } from 'kysely'
import { buildApp, loggerOptions } from '../../src/app.js'
import { startBackground } from '../../src/worker-role.js'
import { migrateDatabase } from '../../src/migrate-database.js'
import { createApiKey } from '../../src/modules/api-keys/service.js'
import { fromPublicId } from '../../src/lib/ids.js'
import { makeRow } from '../helpers/portfolio.js'
import { accept, freePort, seedDebt } from '../helpers/payments.js'
import { startBareLookup } from './bare.js'
import type { CpuSeconds } from './cpu.js'
import { benchConfig, benchDatabase } from './setup.js'
import { importThroughCopy, importThroughService, writePortfolio } from './import.js'
import { runLoadInTurns, type LoadResult } from './load.js'
import { benchPayCycle, capturePool, type PayFixture } from './pay.js'

/**
 * `npm run bench`: every figure against its ceiling,
 * measured in this one run on one Postgres (BENCH_DATABASE_URL, an empty
 * throwaway database that will be migrated and filled, or an embedded one
 * in a temp directory). Prints one table; asserts nothing; never part of
 * `npm test`.
 *
 * BENCH_ROWS (default 1,000,000) rows for the import, BENCH_SECONDS (10)
 * of load per target (the lookups and the pay cycle split them into three
 * rounds, taken in turns with their ceilings), BENCH_CONNECTIONS (32) for
 * the lookups.
 */
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32)
const SMALL = 10_000
const KNOWN = 2_000
const PAY_LOOPS = 4

const say = (line: string): void => { process.stderr.write(`bench: ${line}\n`) }
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ')

const database = await benchDatabase('bench', 'BENCH_DATABASE_URL')
const { dir, url: databaseUrl } = database
const loadAtStart = load()

try {
  await migrateDatabase(databaseUrl, pino({ level: 'warn' }))
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const config = benchConfig(databaseUrl, base)
  // production logging (info, redaction, serialisers), written to /dev/null
  const app = await buildApp(config, { logger: { ...(loggerOptions('info') as object), stream: destination({ dest: '/dev/null', sync: true }) } })
  const capture = capturePool(app.dbPool)
  await app.listen({ port, host: '127.0.0.1' })
  const background = await startBackground(app, { ...config, role: 'all' })
  const admin = await createApiKey(app.db, null, { name: 'bench', scopes: ['admin'] })
  const authorization = `Bearer ${admin.key}`

  say(`seeding ${SMALL} debts`)
  const smallFile = join(dir, 'small.csv')
  await writePortfolio(smallFile, SMALL, 1_000_000)
  await importThroughService(base, authorization, smallFile, SMALL)
  const picks = fc.sample(fc.integer({ min: 0, max: SMALL - 1 }), { numRuns: KNOWN, seed: 12 })
  const bodies = picks.map((i) => {
    const row = makeRow(1_000_000 + i)
    return { contractNumber: row.contract, iin: row.iin }
  })
  const lookupRun = { bodies, connections: CONNECTIONS, seconds: SECONDS, file: join(dir, 'load.json') }

  say('lookup: service, bare fastify + pg with its SELECT unnamed and prepared; in turns')
  const bare = await startBareLookup(databaseUrl, app.pii, config.databasePoolMax)
  const barePrepared = await startBareLookup(databaseUrl, app.pii, config.databasePoolMax, true)
  const [service10k, bareLookup, bareLookupPrepared] = await runLoadInTurns(
    [base, bare.url, barePrepared.url].map((target) => `${target}/v1/debts/lookup`),
    { ...lookupRun, rounds: 3 }) as [LoadResult, LoadResult, LoadResult]
  await bare.close()
  await barePrepared.close()

  say(`writing ${ROWS} rows`)
  const bigFile = join(dir, 'portfolio.csv')
  const bytes = await writePortfolio(bigFile, ROWS, 5_000_000)
  say(`import: service (${(bytes / 1024 / 1024).toFixed(0)} MiB)`)
  const serviceImport = await importThroughService(base, authorization, bigFile, ROWS)
  say('import: COPY')
  const copyImport = await importThroughCopy(databaseUrl, bigFile, ROWS)
  rmSync(bigFile)
  // what autovacuum does after a million inserts, done before the measurement rather than during it
  say('vacuum analyze, checkpoint')
  await sql`vacuum analyze`.execute(app.db)
  // and the import's dirty pages written out now, not by the checkpointer in the middle of the next measurement
  // (CHECKPOINT needs a superuser or pg_checkpoint: on a database that refuses it, the measurement runs without)
  await sql`checkpoint`.execute(app.db).catch((error: Error) => { say(`no checkpoint: ${error.message}`) })

  say(`lookup: service, ${SMALL + ROWS} debts`)
  const [serviceBig] = await runLoadInTurns([`${base}/v1/debts/lookup`], { ...lookupRun, rounds: 1 }) as [LoadResult]
  await background.stop()

  say('pay cycle')
  const fixtures: PayFixture[] = []
  for (let i = 0; i < PAY_LOOPS; i++) {
    const debt = await seedDebt(app, { outstanding: '100000000.00' })
    const acceptance = await accept(base, debt.id)
    const debtId = fromPublicId('debt', debt.id) as string
    const kept = await app.db.selectFrom('ledger_accounts').select('id').where((eb) => eb.or([eb('debt_id', '=', debtId), eb('kind', 'in', ['clearing', 'claims'])])).execute()
    const offers = await app.db.selectFrom('offers').select('id').execute()
    // the debt's creditor is a record the events name (DESIGN 18): kept, not replaced by a fresh id
    const creditors = await app.db.selectFrom('creditors').select('id').execute()
    const keep = new Set([
      debtId, fromPublicId('acceptance', acceptance.id) as string,
      ...[...kept, ...offers, ...creditors].map((row) => row.id)
    ])
    fixtures.push({ debtId, acceptanceId: acceptance.id, keep })
  }
  const pay = await benchPayCycle(app, base, fixtures, SECONDS, capture, databaseUrl, join(dir, 'pay.json'))
  await app.close()

  const f = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
  // CPU time is what a faster import has to cut: with every core busy, no run
  // of the same work takes less than CPU / cores
  const cores = availableParallelism()
  const cpuTotal = (cpu: CpuSeconds): number | null => cpu.postgres === null ? null : cpu.process + cpu.postgres
  const cpuText = (cpu: CpuSeconds): string => {
    const total = cpuTotal(cpu)
    return `${f(cpu.process, 1)} + ${cpu.postgres === null || total === null ? 'n/a' : `${f(cpu.postgres, 1)} = ${f(total, 1)}`}`
  }
  const serviceCpu = cpuTotal(serviceImport.cpu)
  const copyCpu = cpuTotal(copyImport.cpu)
  const uploadCpu = cpuTotal(serviceImport.uploadCpu)
  const cpuRatio = serviceCpu === null || copyCpu === null ? 'n/a' : `${f(serviceCpu / copyCpu, 1)}x`
  const floor = serviceCpu === null ? 'n/a (Postgres not on this machine)' : `${f(serviceCpu / cores, 1)} s`
  const phasesCpu = serviceCpu === null || uploadCpu === null ? 'report' : `report; CPU ${f(uploadCpu, 1)} + ${f(serviceCpu - uploadCpu, 1)} s`
  const verdict = (ok: boolean): string => (ok ? 'held' : 'NOT held')
  const rows: string[][] = [
    ['figure', 'service', 'ceiling', 'ratio', 'goal'],
    [`lookup req/s, ${CONNECTIONS} connections, ${f(KNOWN)} known debts`, f(service10k.requestsPerSecond), `${f(bareLookupPrepared.requestsPerSecond)} (bare fastify + pg)`, f(service10k.requestsPerSecond / bareLookupPrepared.requestsPerSecond, 2), `>= 0.8: ${verdict(service10k.requestsPerSecond / bareLookupPrepared.requestsPerSecond >= 0.8)}`],
    ['lookup p99 ms, same load', f(service10k.p99, 1), f(bareLookupPrepared.p99, 1), `${f(service10k.p99 / bareLookupPrepared.p99, 2)}x`, `<= 1.3x: ${verdict(service10k.p99 / bareLookupPrepared.p99 <= 1.3)}`],
    ['lookup req/s (p99 ms), bare SELECT sent unnamed', `${f(service10k.requestsPerSecond)} (${f(service10k.p99, 1)})`, `${f(bareLookup.requestsPerSecond)} (${f(bareLookup.p99, 1)})`, `${f(service10k.requestsPerSecond / bareLookup.requestsPerSecond, 2)} (${f(service10k.p99 / bareLookup.p99, 2)}x)`, 'report: pg\'s default'],
    [`import of ${f(ROWS)} rows, upload to completed, s`, f(serviceImport.seconds, 1), `${f(copyImport.seconds, 1)} (COPY of the same file)`, `${f(serviceImport.seconds / copyImport.seconds, 1)}x`, `<= 20 s: ${verdict(serviceImport.seconds <= 20)}`],
    ['import rows/s', f(serviceImport.rowsPerSecond), f(copyImport.rowsPerSecond), f(serviceImport.rowsPerSecond / copyImport.rowsPerSecond, 3), `>= 0.06: ${verdict(serviceImport.rowsPerSecond / copyImport.rowsPerSecond >= 0.06)}`],
    ['import: upload (until 202) + processing, s', `${f(serviceImport.uploadSeconds, 1)} + ${f(serviceImport.seconds - serviceImport.uploadSeconds, 1)}`, '', '', phasesCpu],
    ['import CPU s: bench process + Postgres', cpuText(serviceImport.cpu), `${cpuText(copyImport.cpu)} (COPY)`, cpuRatio, `report: on ${cores} cores, >= ${floor}`],
    ['import peak RSS MB (idle)', `${f(serviceImport.peakRssMb)} (${f(serviceImport.idleRssMb)})`, `${f(copyImport.peakRssMb)} (${f(copyImport.idleRssMb)})`, `+${f(serviceImport.peakRssMb - serviceImport.idleRssMb)} MB`, `<= +100 MB: ${verdict(serviceImport.peakRssMb - serviceImport.idleRssMb <= 100)}`],
    [`pay cycles/s (create + check + result over HTTP), ${PAY_LOOPS} loops`, f(pay.serviceCyclesPerSecond, 1), `${f(pay.rawCyclesPerSecond, 1)} (the same ${pay.statementsPerCycle} statements raw)`, f(pay.serviceCyclesPerSecond / pay.rawCyclesPerSecond, 2), `>= 0.5: ${verdict(pay.serviceCyclesPerSecond / pay.rawCyclesPerSecond >= 0.5)}`],
    [`lookup p50 ms, ${f(SMALL + ROWS)} vs ${f(SMALL)} debts`, f(serviceBig.p50, 1), f(service10k.p50, 1), `${f(serviceBig.p50 / service10k.p50, 2)}x`, `<= 1.2x: ${verdict(serviceBig.p50 / service10k.p50 <= 1.2)}`]
  ]
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] as string).length)))
  const line = (r: string[]): string => `| ${r.map((cell, c) => cell.padEnd(widths[c] as number)).join(' | ')} |`
  process.stdout.write(`\n${new Date().toISOString().slice(0, 10)}, ${availableParallelism()} cores, load average ${loadAtStart} at start, ${load()} at end\n\n`)
  process.stdout.write(`${line(rows[0]!)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${rows.slice(1).map(line).join('\n')}\n`)
  process.stdout.write(`\nimport report: ${JSON.stringify({ rowsImported: serviceImport.report.rowsImported, rowsRejected: serviceImport.report.rowsRejected })}; lookups at ${f(SMALL + ROWS)} debts: ${f(serviceBig.requestsPerSecond)} req/s, p99 ${f(serviceBig.p99, 1)} ms\n`)
} finally {
  await database.close()
}
