import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { freePort } from '../../src/lib/free-port.js'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../src/db/embedded.js'
import { generateKey } from '../../src/lib/crypto.js'
import { eventually } from '../helpers/app.js'

/**
 * The real process against a Postgres of its own that the test stops for
 * 8 seconds under load: every answer is a success or a 503
 * `database_unavailable` with Retry-After (never a 500, never a hang), the
 * process never exits, and service comes back by itself once the database
 * does. The same start shows a staging deployment (a database URL with
 * BANK_MODE=sandbox) saying so in its log and in its readiness.
 */
const OUTAGE_MS = 8000
// A request that has not answered by then counts as a hang.
const HANG_MS = 10_000

interface Outcome { status: number | 'hang' | 'network', code?: string, retryAfter?: string | null, during: boolean }

t.test('a database outage under load gives 503s, no 500s, no hangs, no exit, and service resumes', async (t) => {
  const baseDir = mkdtempSync(join(tmpdir(), 'debt-payments-outage-'))
  chmodSync(baseDir, 0o755)
  const pgPort = await freePort()
  let database: EmbeddedPostgresHandle | null = await startEmbeddedPostgres({ baseDir, port: pgPort })
  t.teardown(async () => {
    await database?.stop()
    rmSync(baseDir, { recursive: true, force: true })
  })

  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const { DATABASE_URL: _ignored, TEST_DATABASE_URL: _also, ...inherited } = process.env
  const child: ChildProcess = spawn(process.execPath, [...process.execArgv, 'src/server.ts'], {
    env: {
      ...inherited,
      DATABASE_URL: database.url('postgres'),
      BANK_MODE: 'sandbox',
      MAIL_MODE: 'sandbox',
      METRICS_PUBLIC: 'true',
      PII_ENCRYPTION_KEY: generateKey().toString('base64'),
      PII_INDEX_KEY: generateKey().toString('base64'),
      PORT: String(port),
      LOG_LEVEL: 'warn',
      LOOKUP_RATE_LIMIT_PER_MINUTE: '100000',
      RATE_LIMIT_PER_MINUTE: '100000'
    },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  let exited: number | null | undefined
  child.on('exit', (code) => { exited = code })
  t.teardown(async () => {
    if (exited !== undefined) return
    await new Promise((resolve) => { child.on('exit', resolve); child.kill('SIGKILL') })
  })

  await eventually(async () => exited === undefined && (await fetch(`${base}/health/ready`).catch(() => null))?.status === 200, 60_000)
  t.match(output, /BANK_MODE=sandbox with DATABASE_URL/, 'a staging start warns that the sandbox bank takes the payments')
  t.match(output, /METRICS_PUBLIC=true: GET \/metrics answers anyone/, 'and that its /metrics is open, as it asked')
  const ready = await (await fetch(`${base}/health/ready`)).json() as { bank: string }
  t.equal(ready.bank, 'sandbox', 'and readiness says so')

  let outage = false
  let stopLoad = false
  const outcomes: Outcome[] = []
  const livenessFailures: string[] = []

  async function request (path: string, init?: RequestInit): Promise<void> {
    const during = outage
    try {
      const response = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(HANG_MS) })
      const text = await response.text()
      let code: string | undefined
      if (response.headers.get('content-type')?.startsWith('application/problem+json') === true) code = (JSON.parse(text) as { code: string }).code
      outcomes.push({ status: response.status, code, retryAfter: response.headers.get('retry-after'), during })
    } catch (error) {
      outcomes.push({ status: error instanceof Error && error.name === 'TimeoutError' ? 'hang' : 'network', during })
    }
  }

  const lookup = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ contractNumber: 'KD-404', iin: '900101300017' }) }
  const clients = Array.from({ length: 6 }, async (_, i) => {
    while (!stopLoad) {
      await (i % 3 === 0 ? request('/v1/offer') : i % 3 === 1 ? request('/v1/debts/lookup', lookup) : request('/health/ready'))
    }
  })
  const liveness = (async () => {
    while (!stopLoad) {
      const answer = await fetch(`${base}/health/live`, { signal: AbortSignal.timeout(HANG_MS) }).catch((error: Error) => error)
      if (answer instanceof Error || answer.status !== 200) {
        livenessFailures.push(answer instanceof Error ? answer.message : String(answer.status))
      }
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  })()

  // on a timeout, say what the process was doing
  const explain = (error: Error): never => {
    stopLoad = true
    throw new Error(`${error.message}: exited ${String(exited)}, last outcomes ${JSON.stringify(outcomes.slice(-10))}, log ${output.slice(-3000)}`)
  }
  await eventually(async () => outcomes.length >= 30)
  outage = true
  await database.stop()
  database = null
  const seenBefore = outcomes.length
  await eventually(async () => outcomes.slice(seenBefore).some((o) => o.status === 503), 20_000).catch(explain)
  await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS))
  database = await startEmbeddedPostgres({ baseDir, port: pgPort })
  outage = false
  const restartedAt = outcomes.length
  // service comes back by itself: no restart of the process
  await eventually(async () => outcomes.slice(restartedAt).filter((o) => o.status === 200).length >= 10, 30_000)
    .catch(explain)
  stopLoad = true
  await Promise.all([...clients, liveness])

  t.equal(exited, undefined, 'the process never exited')
  t.same(livenessFailures, [], 'liveness answered 200 throughout')
  t.same(outcomes.filter((o) => o.status === 'hang'), [], 'no request hung')
  t.same(outcomes.filter((o) => o.status === 'network'), [], 'no connection was dropped')
  t.same(outcomes.filter((o) => typeof o.status === 'number' && o.status >= 500 && o.status !== 503), [], 'never a 500')
  const unavailable = outcomes.filter((o) => o.status === 503)
  t.ok(unavailable.length > 0, 'the outage was seen as 503s')
  t.ok(unavailable.every((o) => o.code === 'database_unavailable' && o.retryAfter === '5'), 'each 503 is database_unavailable with Retry-After')
  t.ok(outcomes.every((o) => o.status === 200 || o.status === 404 || o.status === 503), 'nothing but answers and unavailability')
  t.notMatch(output, /uncaught|unhandled/i, 'nothing escaped a handler')
  t.equal((await fetch(`${base}/v1/offer`)).status, 200, 'serving again')
})
