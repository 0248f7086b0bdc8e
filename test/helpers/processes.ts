// The service as separate real processes (src/server.ts, as `npm start` and the image run it) on one test database:
// API and worker roles side by side, stopped with a signal or killed with -9, for the fault and scale-out tests.
import { spawn, type ChildProcess } from 'node:child_process'
import pg from 'pg'
import type { Test } from 'tap'
import { generateKey } from '../../src/lib/crypto.js'
import { eventually } from './app.js'
import { toPublicId } from '../../src/lib/ids.js'
import { accept, freePort, postJson, startPayment, submitAtBank } from './payments.js'
import { makeCsv, makeRow, type PortfolioRow } from './portfolio.js'

interface Teardown { teardown: (fn: () => unknown) => void }

export const ADMIN_KEY = 'fault-tests-admin-key-0123456789abcdef0123'

/** What every process of one deployment shares: the database, the PII keys, the modes and the admin key. */
export function deploymentEnv (databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    BANK_MODE: 'sandbox',
    MAIL_MODE: 'sandbox',
    METRICS_PUBLIC: 'true',
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
  port: number
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

/** Starts `src/server.ts` with the deployment's environment (on `port`, or a free one) and waits until it is live. */
export async function spawnService (
  t: Teardown, name: string, env: Record<string, string>, port?: number
): Promise<ServiceProcess> {
  port ??= await freePort()
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
    port,
    base,
    output: () => output,
    errors: () => output.split('\n').filter((line) => /"level":(50|60)/.test(line)),
    stop: async (signal = 'SIGTERM') => { if (!gone()) child.kill(signal); return await exited },
    kill: async () => { if (!gone()) child.kill('SIGKILL'); await exited }
  }
}

export async function adminRequest (
  base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}
): Promise<{ status: number, json: any }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {})
  })
  const text = await response.text()
  return { status: response.status, json: text === '' ? null : JSON.parse(text) }
}

/** Uploads a generated portfolio of `rows` debts through the api process; `report()` reads the import's state. */
export async function uploadPortfolio (
  api: ServiceProcess, rows: number, firstSeed: number
): Promise<{ status: number, report: () => Promise<Record<string, any>> }> {
  const csv = makeCsv(Array.from({ length: rows }, (_, i) => makeRow(firstSeed + i)))
  const queued = await fetch(`${api.base}/v1/admin/debt-imports`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'text/csv' }, body: csv })
  const id = (await queued.json() as { id: string }).id
  return { status: queued.status, report: async () => (await adminRequest(api.base, 'GET', `/v1/admin/debt-imports/${id}`)).json }
}

/** The import completes with every row imported once, and leaves no staged row behind. */
export async function expectImportedOnce (
  t: Test, databaseUrl: string, report: () => Promise<Record<string, any>>, rows: number
): Promise<void> {
  const done = await eventually(async () => { const state = await report(); return state.status === 'completed' ? state : undefined }, 240_000)
  t.match(done, { rowsTotal: rows, rowsImported: rows, rowsUnchanged: 0, rowsRejected: 0 }, 'every row imported once')
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    t.equal((await client.query('select count(*)::int as n from debts')).rows[0].n, rows)
    t.equal((await client.query('select count(*)::int as n from debt_import_rows')).rows[0].n, 0, 'nothing staged left behind')
  } finally { await client.end() }
}

export interface Paid { id: string, amount: number, redirectUrl: string, base: string }

/**
 * A payer on the website of `base`: looks the debt up, accepts the offer,
 * starts a payment, and pays (or declines) at the bank.
 */
export async function payAtBank (base: string, row: PortfolioRow, amount: number, action: 'pay' | 'decline' = 'pay'): Promise<Paid> {
  const found = await postJson(`${base}/v1/debts/lookup`, { contractNumber: row.contract, iin: row.iin })
  if (found.status !== 200) throw new Error(`lookup ${found.status}: ${await found.text()}`)
  const { debtId } = await found.json() as { debtId: string }
  const acceptance = await accept(base, debtId)
  const started = await startPayment(base, acceptance.id, amount)
  if (started.status !== 201) throw new Error(`payment ${started.status}: ${await started.text()}`)
  const payment = await started.json() as { id: string, redirectUrl: string }
  await submitAtBank(payment.redirectUrl, action)
  return { id: payment.id, amount, redirectUrl: payment.redirectUrl, base }
}

/**
 * Our books against the sandbox bank's own records: a payment is paid with us exactly when the bank charged the
 * card, its money entered the ledger once, and the bank refunded to the card exactly what we record as refunded.
 * Returns what differs, and how many payments the bank charged.
 */
export async function booksVersusBank (databaseUrl: string): Promise<{ wrong: string[], charged: number }> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const ours = await client.query<{ id: string, status: string, amount: string, refunded: string, received: number, refunds: string }>(`
      select p.id, p.status, p.amount::text, p.refunded_amount::text as refunded,
        (select count(*)::int from ledger_entries e where e.payment_id = p.id and e.kind = 'payment_received') as received,
        (select coalesce(sum(r.amount), 0)::text from refunds r where r.payment_id = p.id and r.status = 'succeeded') as refunds
      from payments p`)
    const bank = await client.query<{ order_id: string, status: string, amount: string, refunded: string }>(`
      select distinct on (order_id) order_id, status, amount::text, refunded_amount::text as refunded
      from sandbox_bank_payments order by order_id, id desc`)
    const atBank = new Map(bank.rows.map((row) => [row.order_id, row]))
    let charged = 0
    const twice = await client.query<{ order_id: string, n: number }>("select order_id, count(*)::int as n from sandbox_bank_payments where status = 'paid' group by order_id having count(*) > 1")
    const wrong: string[] = twice.rows.map((row) => `${row.order_id}: charged ${row.n} times at the bank`)
    for (const payment of ours.rows) {
      const publicId = toPublicId('payment', payment.id)
      const theirs = atBank.get(publicId)
      const paidAtBank = theirs?.status === 'paid'
      if (paidAtBank) charged++
      const paidWithUs = payment.status === 'succeeded' || payment.status === 'returned'
      if (paidWithUs !== paidAtBank) wrong.push(`${publicId}: ours ${payment.status}, bank ${theirs?.status ?? 'none'}`)
      if (payment.received !== (paidAtBank ? 1 : 0)) wrong.push(`${publicId}: ${payment.received} payment_received entries`)
      if (paidAtBank && theirs?.amount !== payment.amount) wrong.push(`${publicId}: bank charged ${theirs?.amount}, we recorded ${payment.amount}`)
      if ((theirs?.refunded ?? '0') !== payment.refunds || payment.refunds !== payment.refunded) wrong.push(`${publicId}: bank refunded ${theirs?.refunded ?? 0}, our refunds ${payment.refunds}, payment says ${payment.refunded}`)
    }
    return { wrong, charged }
  } finally { await client.end() }
}

/** booksVersusBank finds nothing to differ, and the trial balance is zero. Returns the number of payments charged. */
export async function expectBooksMatchBank (t: Test, databaseUrl: string, base: string): Promise<number> {
  const { wrong, charged } = await booksVersusBank(databaseUrl)
  t.same(wrong, [], 'every payment as the bank has it: charged once, refunded exactly what we recorded')
  const trial = await adminRequest(base, 'GET', '/v1/admin/ledger/trial-balance')
  t.match(trial.json, { total: 0, consistent: true }, 'the trial balance is zero and consistent')
  return charged
}
