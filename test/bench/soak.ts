import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { availableParallelism, loadavg } from 'node:os'
import { extname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { destination, pino } from 'pino'
import { sql } from 'kysely'
import { buildApp, loggerOptions } from '../../src/app.js'
import { startBackground } from '../../src/worker-role.js'
import { migrateDatabase } from '../../src/migrate-database.js'
import { createApiKey } from '../../src/modules/api-keys/service.js'
import { makeRow } from '../helpers/portfolio.js'
import { accept, freePort, PAYER, postJson, seedDebts } from '../helpers/payments.js'
import { ENV_DEFAULTS } from '../../src/config-schema.js'
import { cpuNow, cpuSince } from './cpu.js'
import { benchConfig, benchDatabase } from './setup.js'
import { importThroughService, writePortfolio } from './import.js'
import type { MinuteLine, SoakChildInput, SoakPayer } from './soak-child.js'

/**
 * `npm run bench:soak` (DESIGN 24): the compiled service under a steady mixed load for SOAK_MINUTES (10) at SOAK_RATE
 * requests a second (100) from a client process of its own: lookups, offer reads, payment cycles through the sandbox
 * bank's page (each a webhook delivery to a local receiver and a receipt), refunds, paginated lists. Prints a row a
 * minute: p50/p99 per kind, the service's and Postgres's CPU milliseconds per request, RSS and heap; then whether
 * Postgres's CPU per request in the last minute stayed within 1.2x of the second minute's, and RSS flat. Asserts
 * nothing; never part of `npm test`. On its own embedded Postgres (SOAK_DATABASE_URL: an empty throwaway database).
 */
const MINUTES = Number(process.env.SOAK_MINUTES ?? 10)
const RATE = Number(process.env.SOAK_RATE ?? 100)
const LOOKUP_DEBTS = 2_000
/**
 * Payers as real traffic has them: each its own debt, email and address (X-Forwarded-For through TRUST_PROXY), and
 * the risk rules at their production limits. 15 payments a second over 3,000 payers is 3 each in ten minutes, well
 * under every hourly limit: what grows is history, never one key's.
 */
const PAYERS = 3_000
const say = (line: string): void => { process.stderr.write(`soak: ${line}\n`) }

const database = await benchDatabase('soak', 'SOAK_DATABASE_URL')
const { dir, url: databaseUrl } = database

let delivered = 0
const receiver = createServer((request, response) => {
  request.resume()
  request.on('end', () => { delivered++; response.writeHead(200).end() })
})
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
const receiverAddress = receiver.address()
const hook = `http://127.0.0.1:${typeof receiverAddress === 'object' && receiverAddress !== null ? receiverAddress.port : 0}/hook`

try {
  await migrateDatabase(databaseUrl, pino({ level: 'warn' }))
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const config = benchConfig(databaseUrl, base, {
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    TRUST_PROXY: '127.0.0.1',
    RISK_MAX_PAYMENTS_PER_HOUR_PER_IP: String(ENV_DEFAULTS.RISK_MAX_PAYMENTS_PER_HOUR_PER_IP),
    RISK_MAX_PAYMENTS_PER_HOUR_PER_IIN: String(ENV_DEFAULTS.RISK_MAX_PAYMENTS_PER_HOUR_PER_IIN),
    RISK_MAX_PAYMENTS_PER_HOUR_PER_EMAIL: String(ENV_DEFAULTS.RISK_MAX_PAYMENTS_PER_HOUR_PER_EMAIL)
  })
  const app = await buildApp(config, {
    logger: { ...(loggerOptions('info') as object), stream: destination({ dest: '/dev/null', sync: true }) }
  })
  await app.listen({ port, host: '127.0.0.1' })
  const background = await startBackground(app, { ...config, role: 'all' })
  const admin = await createApiKey(app.db, null, { name: 'soak admin', scopes: ['admin'] })
  const operator = await createApiKey(app.db, null, { name: 'soak operator', scopes: ['operator'] })

  say(`seeding ${LOOKUP_DEBTS} debts, ${PAYERS} payers and a webhook endpoint`)
  const file = join(dir, 'debts.csv')
  await writePortfolio(file, LOOKUP_DEBTS, 1_000_000)
  await importThroughService(base, `Bearer ${admin.key}`, file, LOOKUP_DEBTS)
  const lookups = Array.from({ length: LOOKUP_DEBTS }, (_, i) => {
    const row = makeRow(1_000_000 + i)
    return { contractNumber: row.contract, iin: row.iin }
  })
  const payers: SoakPayer[] = []
  const debts = await seedDebts(app, PAYERS, { outstanding: '100000000.00' })
  for (let i = 0; i < PAYERS; i += 25) {
    payers.push(...await Promise.all(debts.slice(i, i + 25).map(async (debt, j) => {
      const n = i + j
      const email = `payer-${n}@soak.example`
      const { id } = await accept(base, debt.id, { ...PAYER, email })
      return { acceptanceId: id, email, ip: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` }
    })))
  }
  const endpoint = await postJson(`${base}/v1/admin/webhook-endpoints`, { url: hook }, { authorization: `Bearer ${admin.key}` })
  if (endpoint.status !== 201) throw new Error(`webhook endpoint refused: ${await endpoint.text()}`)

  const input: SoakChildInput = {
    base, lookups, payers, operator: `Bearer ${operator.key}`, minutes: MINUTES, rate: RATE, seed: 24
  }
  const inputFile = join(dir, 'soak.json')
  writeFileSync(inputFile, JSON.stringify(input))
  const script = fileURLToPath(new URL(`./soak-child${extname(fileURLToPath(import.meta.url))}`, import.meta.url))
  const loader = extname(script) === '.ts' ? ['--import', 'tsx'] : []
  say(`${MINUTES} minutes at ${RATE} requests/s, ${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  const child = spawn(process.execPath, [...loader, script, inputFile], { stdio: ['ignore', 'pipe', 'inherit'] })

  const f = (n: number, digits = 0): string =>
    n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
  const header = ['min', 'req', 'err', 'lookup p50/p99', 'offer p50/p99', 'pay p50/p99', 'refund p50/p99',
    'list p50/p99', 'svc CPU ms/req', 'pg CPU ms/req', 'RSS MB', 'heap MB']
  process.stdout.write(`\n| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|\n`)
  const minutes: Array<{ requests: number, postgresMs: number | null, rssMb: number }> = []
  let cpu = cpuNow()
  for await (const text of createInterface({ input: child.stdout })) {
    const line = JSON.parse(text) as MinuteLine
    const spent = cpuSince(cpu)
    cpu = cpuNow()
    const kinds = Object.values(line.kinds)
    const requests = kinds.reduce((sum, k) => sum + k.n, 0)
    const errors = kinds.reduce((sum, k) => sum + k.errors, 0)
    const memory = process.memoryUsage()
    const postgresMs = spent.postgres === null ? null : (spent.postgres * 1000) / Math.max(1, requests)
    minutes.push({ requests, postgresMs, rssMb: memory.rss / 1048576 })
    const cells = [String(line.minute), f(requests), f(errors),
      ...Object.values(line.kinds).map((k) => `${f(k.p50, 1)} / ${f(k.p99, 1)}`),
      f((spent.process * 1000) / Math.max(1, requests), 2), postgresMs === null ? 'n/a' : f(postgresMs, 2),
      f(memory.rss / 1048576), f(memory.heapUsed / 1048576)]
    process.stdout.write(`| ${cells.join(' | ')} |\n`)
  }
  const code = await new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode)
    else child.on('exit', resolve)
  })
  if (code !== 0) throw new Error(`the soak's client exited with ${code}`)

  const second = minutes[1]
  const last = minutes.at(-1)
  if (second !== undefined && last !== undefined && second.postgresMs !== null && last.postgresMs !== null) {
    const ratio = last.postgresMs / second.postgresMs
    process.stdout.write(`\nPostgres CPU per request, last minute vs the second: ${f(ratio, 2)}x (goal <= 1.2x: ` +
      `${ratio <= 1.2 ? 'held' : 'NOT held'}); RSS ${f(second.rssMb)} MB in the second minute, ${f(last.rssMb)} MB ` +
      'in the last\n')
  }
  // what the load left in flight (deliveries, refunds) finishes, and the collector runs once more (each minute)
  say('draining: deliveries and refunds in flight, then the queue collector')
  const drainUntil = Date.now() + 150_000
  while (Date.now() < drainUntil) {
    const { rows: open } = await sql<{ open: string }>`
      select ((select count(*) from webhook_deliveries where status = 'pending') +
              (select count(*) from refunds where status = 'pending') +
              (select count(*) from graphile_worker._private_job_queues))::text as open`.execute(app.db)
    if (open[0]?.open === '0') break
    await new Promise((resolve) => setTimeout(resolve, 1000))
  }
  const { rows } = await sql<{ queues: string, deliveries: string, payments: string }>`
    select (select count(*) from graphile_worker._private_job_queues)::text as queues,
           (select count(*) from webhook_deliveries)::text as deliveries,
           (select count(*) from payments where status = 'succeeded')::text as payments`.execute(app.db)
  process.stdout.write(`after the load and a drain: ${rows[0]?.payments ?? '?'} payments succeeded, ` +
    `${rows[0]?.deliveries ?? '?'} webhook deliveries (${delivered} received), ${rows[0]?.queues ?? '?'} job queues\n`)
  await background.stop()
  await app.close()
} finally {
  receiver.close()
  await database.close()
}
