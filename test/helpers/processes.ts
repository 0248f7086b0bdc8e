// The service as separate real processes (src/server.ts, as `npm start` and the image run it) on one test database:
// API and worker roles side by side, stopped with a signal or killed with -9, for the fault and scale-out tests.
import { spawn, type ChildProcess } from 'node:child_process'
import pg from 'pg'
import type { Test } from 'tap'
import { generateKey } from '../../src/lib/crypto.js'
import { eventually } from './app.js'
import { freePort } from './payments.js'
import { makeCsv, makeRow } from './portfolio.js'

interface Teardown { teardown: (fn: () => unknown) => void }

export const ADMIN_KEY = 'fault-tests-admin-key-0123456789abcdef0123'

/** What every process of one deployment shares: the database, the PII keys, the modes, the admin key. */
export function deploymentEnv (databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    BANK_MODE: 'sandbox',
    MAIL_MODE: 'sandbox',
    PII_ENCRYPTION_KEY: generateKey().toString('base64'),
    PII_ENCRYPTION_KEY_ID: 'k1',
    PII_INDEX_KEY: generateKey().toString('base64'),
    ADMIN_API_KEY: ADMIN_KEY,
    MIGRATE_ON_START: 'false',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '100000',
    LOOKUP_RATE_LIMIT_PER_MINUTE: '100000',
    CALLBACK_RATE_LIMIT_PER_MINUTE: '100000',
    RISK_MAX_PAYMENTS_PER_HOUR_PER_IP: '100000',
    RISK_MAX_PAYMENTS_PER_HOUR_PER_IIN: '100000',
    RISK_MAX_PAYMENTS_PER_HOUR_PER_EMAIL: '100000',
    RECONCILE_AFTER_SECONDS: '10',
    ...extra
  }
}

export interface ServiceProcess {
  name: string
  child: ChildProcess
  base: string
  /** Everything it printed so far (pino JSON lines). */
  output: () => string
  /** Lines at error level or above. */
  errors: () => string[]
  /** A signal (SIGTERM by default); resolves with the exit code once it has exited. */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>
  /** kill -9, resolved once it is gone. */
  kill: () => Promise<void>
}

/** Starts `src/server.ts` with the deployment's environment and waits until it answers its readiness probe. */
export async function spawnService (t: Teardown, name: string, env: Record<string, string>): Promise<ServiceProcess> {
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const { DATABASE_URL: _ignored, TEST_DATABASE_URL: _also, ...inherited } = process.env
  const child = spawn(process.execPath, [...process.execArgv, 'src/server.ts'], {
    env: { ...inherited, PUBLIC_BASE_URL: base, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise<number | null>((resolve) => { child.on('exit', (code) => { resolve(code) }) })
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null
  t.teardown(async () => { if (!gone()) { child.kill('SIGKILL'); await exited } })
  await eventually(async () => {
    if (gone()) throw new Error(`${name} exited at start: ${output}`)
    return await fetch(`${base}/health/live`).then((r) => r.ok, () => false)
  }, 120_000)
  return {
    name,
    child,
    base,
    output: () => output,
    errors: () => output.split('\n').filter((line) => /"level":(50|60)/.test(line)),
    stop: async (signal = 'SIGTERM') => { if (!gone()) child.kill(signal); return await exited },
    kill: async () => { if (!gone()) child.kill('SIGKILL'); await exited }
  }
}

export async function adminRequest (base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number, json: any }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {})
  })
  const text = await response.text()
  return { status: response.status, json: text === '' ? null : JSON.parse(text) }
}

/** Uploads a generated portfolio of `rows` debts through the api process; `report()` reads the import's state. */
export async function uploadPortfolio (api: ServiceProcess, rows: number, firstSeed: number): Promise<{ status: number, report: () => Promise<Record<string, any>> }> {
  const csv = makeCsv(Array.from({ length: rows }, (_, i) => makeRow(firstSeed + i)))
  const queued = await fetch(`${api.base}/v1/admin/debt-imports`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'text/csv' }, body: csv })
  const id = (await queued.json() as { id: string }).id
  return { status: queued.status, report: async () => (await adminRequest(api.base, 'GET', `/v1/admin/debt-imports/${id}`)).json }
}

/** The import completes with every row imported once, and leaves no staged row behind. */
export async function expectImportedOnce (t: Test, databaseUrl: string, report: () => Promise<Record<string, any>>, rows: number): Promise<void> {
  const done = await eventually(async () => { const state = await report(); return state.status === 'completed' ? state : undefined }, 240_000)
  t.match(done, { rowsTotal: rows, rowsImported: rows, rowsUnchanged: 0, rowsRejected: 0 }, 'every row imported once')
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    t.equal((await client.query('select count(*)::int as n from debts')).rows[0].n, rows)
    t.equal((await client.query('select count(*)::int as n from debt_import_rows')).rows[0].n, 0, 'nothing staged left behind')
  } finally { await client.end() }
}
