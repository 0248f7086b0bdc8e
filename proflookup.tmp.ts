import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { destination, pino } from 'pino'
import { buildApp, loggerOptions } from './src/app.js'
import { startBackground } from './src/background.js'
import { startEmbeddedPostgres } from './src/db/embedded.js'
import { migrateDatabase } from './src/startup.js'
import { createApiKey } from './src/modules/api-keys/service.js'
import { testConfig } from './test/helpers/app.js'
import { makeRow } from './test/helpers/portfolio.js'
import { importThroughService, writePortfolio } from './test/bench/import.js'
import { runLoad } from './test/bench/load.js'
import { freePort } from './test/helpers/payments.js'
const dir = mkdtempSync(join(tmpdir(), 'pl-')); chmodSync(dir, 0o755)
const embedded = await startEmbeddedPostgres({ baseDir: join(dir, 'pg') })
const url = embedded.url('postgres')
await migrateDatabase(url, pino({ level: 'warn' }))
const port = await freePort()
const base = `http://127.0.0.1:${port}`
const u = '1000000000'
const config = testConfig(url, { PUBLIC_BASE_URL: base, LOG_LEVEL: 'info', RATE_LIMIT_PER_MINUTE: u, LOOKUP_RATE_LIMIT_PER_MINUTE: u })
const app = await buildApp(config, { logger: { ...(loggerOptions('info') as object), stream: destination({ dest: '/dev/null', sync: true }) } })
await app.listen({ port, host: '127.0.0.1' })
const bg = await startBackground(app, { ...config, role: 'all' })
const admin = await createApiKey(app.db, null, { name: 'b', scopes: ['admin'] })
await writePortfolio(join(dir, 's.csv'), 2000, 1_000_000)
await importThroughService(base, `Bearer ${admin.key}`, join(dir, 's.csv'), 2000)
await bg.stop()
const bodies = Array.from({ length: 2000 }, (_, i) => { const r = makeRow(1_000_000 + i); return { contractNumber: r.contract, iin: r.iin } })
const run = { url: `${base}/v1/debts/lookup`, bodies, connections: 32, file: join(dir, 'l.json') }
await runLoad({ ...run, seconds: 2 })
const { Session } = await import('node:inspector/promises')
const session = new Session(); session.connect()
await session.post('Profiler.enable'); await session.post('Profiler.start')
const r = await runLoad({ ...run, seconds: Number(process.env.S ?? 8) })
const { profile } = await session.post('Profiler.stop') as any
const { writeFileSync, mkdirSync } = await import('node:fs')
mkdirSync('/tmp/prof2', { recursive: true }); writeFileSync('/tmp/prof2/x.cpuprofile', JSON.stringify(profile))
console.log(JSON.stringify(r))
await app.close(); await embedded.stop(); rmSync(dir, { recursive: true, force: true })
