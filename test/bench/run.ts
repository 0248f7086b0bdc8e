import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { buildApp } from '../../src/app.js'
import { startBackground } from '../../src/background.js'
import { startEmbeddedPostgres } from '../../src/db/embedded.js'
import { migrateDatabase } from '../../src/startup.js'
import { createApiKey } from '../../src/modules/api-keys/service.js'
import { testConfig } from '../helpers/app.js'
import { benchImport } from './import.js'

/**
 * `npm run bench`: benchmarks against a real Postgres (BENCH_DATABASE_URL,
 * an empty database that will be migrated, or an embedded one in a temp
 * directory). Prints results; asserts nothing.
 */
const rows = Number(process.env.BENCH_ROWS ?? 100_000)
let url = process.env.BENCH_DATABASE_URL
let cleanup = async (): Promise<void> => {}
if (url === undefined || url === '') {
  const dir = mkdtempSync(join(tmpdir(), 'debt-payments-bench-'))
  chmodSync(dir, 0o755)
  const embedded = await startEmbeddedPostgres({ baseDir: dir })
  url = embedded.url('postgres')
  cleanup = async () => { await embedded.stop(); rmSync(dir, { recursive: true, force: true }) }
}

try {
  await migrateDatabase(url, pino({ level: 'warn' }))
  const config = testConfig(url, { DEBT_IMPORT_MAX_BYTES: String(1024 * 1024 * 1024) })
  const app = await buildApp(config, { logger: { level: 'warn' } })
  const background = await startBackground(app, { ...config, role: 'all' })
  const admin = await createApiKey(app.db, null, { name: 'bench', scopes: ['admin'] })
  const results = await benchImport(app, `Bearer ${admin.key}`, rows)
  process.stdout.write('\nDebt portfolio import (HTTP upload + worker, real Postgres)\n')
  process.stdout.write('pass                      rows   upload s  process s   rows/s\n')
  for (const r of results) {
    process.stdout.write(`${r.pass.padEnd(22)} ${String(r.rows).padStart(7)} ${r.uploadSeconds.toFixed(2).padStart(10)} ${r.processSeconds.toFixed(2).padStart(10)} ${String(r.rowsPerSecond).padStart(8)}\n`)
  }
  await background.stop()
  await app.close()
} finally {
  await cleanup()
}
