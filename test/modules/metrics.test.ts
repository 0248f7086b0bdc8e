import { readFileSync } from 'node:fs'
import pg from 'pg'
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { createTestApp, eventually, startTestWorker } from '../helpers/app.js'
import {
  accept, createListeningApp, resultParams, seedDebt, signedCallback, startPayment, submitAtBank
} from '../helpers/payments.js'
import { enqueueJob } from '../../src/db/jobs.js'
import { fromPublicId } from '../../src/lib/ids.js'

/**
 * GET /metrics speaks Prometheus text, with the figures
 * an on-call engineer watches, taken from what really happened: a payment
 * over HTTP, the bank's calls and callbacks, the jobs, the emails, the ledger.
 */
// polled every 100 ms below until the worker has sent the email, and the figures are reused for 5 s
const { app, base, config } = await createListeningApp(t, { METRICS_RATE_LIMIT_PER_MINUTE: '1000' })
await startTestWorker(t, app, config)

async function scrape (headers: Record<string, string> = {}, url = `${base}/metrics`): Promise<{ status: number, type: string | null, text: string }> {
  const response = await fetch(url, { headers })
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() }
}

/** The value of one sample, by its name and labels as Prometheus prints them. */
function sample (text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue
    const wanted = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))
    if (wanted) return Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return undefined
}

t.test('a payment shows in the figures', async (t) => {
  const debt = await seedDebt(app, { outstanding: '50000.00' })
  const acceptance = await accept(base, debt.id)
  const payment = await (await startPayment(base, acceptance.id, 300_000)).json() as { id: string, redirectUrl: string }
  await submitAtBank(payment.redirectUrl)
  await eventually(async () => ((await (await fetch(`${base}/v1/payments/${payment.id}`)).json()) as { status: string }).status === 'succeeded')

  const { status, type, text } = await eventually(async () => {
    const scraped = await scrape()
    return (sample(scraped.text, 'debt_payments_emails', { status: 'sent' }) ?? 0) >= 1 ? scraped : undefined
  })
  t.equal(status, 200)
  t.match(type, /^text\/plain; version=0\.0\.4/)
  t.equal(sample(text, 'debt_payments_payments', { status: 'succeeded' }), 1, 'payments by status')
  t.ok((sample(text, 'debt_payments_http_request_duration_seconds_count', { method: 'POST', route: '/v1/payments', status: '201' }) ?? 0) >= 1, 'requests by route template and status')
  t.notOk(text.includes(payment.id), 'the route template, never an id')
  t.equal(sample(text, 'debt_payments_bank_calls_total', { script: 'init_payment.php', outcome: 'ok' }), 1, 'bank calls by script and outcome')
  t.ok((sample(text, 'debt_payments_bank_call_duration_seconds_count', { script: 'init_payment.php' }) ?? 0) >= 1, 'with their durations')
  t.equal(sample(text, 'debt_payments_bank_callbacks_total', { kind: 'result', verdict: 'ok' }), 1, 'callbacks by kind and verdict')
  t.equal(sample(text, 'debt_payments_bank_callbacks_total', { kind: 'check', verdict: 'ok' }), 1)
  t.equal(sample(text, 'debt_payments_ledger_consistent'), 1, 'the ledger ties out')
  t.equal(sample(text, 'debt_payments_ledger_trial_balance_tiyn'), 0)
  t.equal(sample(text, 'debt_payments_refund_requests_overdue'), 0)
  t.equal(sample(text, 'debt_payments_payments_pending_past_lifetime'), 0)
  t.ok(sample(text, 'debt_payments_jobs_runnable') !== undefined && sample(text, 'debt_payments_jobs_oldest_runnable_age_seconds') !== undefined, 'queue depth and oldest job age')
  t.equal(sample(text, 'debt_payments_metrics_database_up'), 1)
  t.ok(text.includes('debt_payments_process_resident_memory_bytes'), 'and the process\'s own')

  // the shipped alert rules and dashboard ask only for figures that exist
  const shipped = ['prometheus-alerts.yml', 'grafana-dashboard.json'].map((f) => readFileSync(`src/modules/metrics/ops/${f}`, 'utf8')).join('\n')
  const names = new Set([...shipped.matchAll(/debt_payments_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, '')))
  t.ok(names.size >= 12)
  for (const name of names) t.ok(text.includes(`# TYPE ${name} `), `${name} is exported`)
})

t.test('a callback that is not the bank\'s and a payment flagged for review show (their alerts\' figures)', async (t) => {
  const { app: fresh } = await createTestApp(t)
  const before = (await fresh.inject({ method: 'GET', url: '/metrics' })).body
  t.equal(sample(before, 'debt_payments_payments_needs_review', { channel: 'card' }), 0, 'none flagged: a zero, not no series')
  const forged = signedCallback('result', 'not-the-bank-secret', resultParams({ id: 'pay_0193b3f2a4c07d1e8b5a2f6c9d0e1f24', amount: 1000 }))
  const answer = await fresh.inject({
    method: 'POST', url: '/v1/callbacks/bank/result', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: forged.toString()
  })
  t.match(answer.body, /<pg_status>error<\/pg_status>/)
  const unknown = new URLSearchParams({ ...Object.fromEntries(forged), pg_extra: '1' })
  const form = { 'content-type': 'application/x-www-form-urlencoded' }
  await fresh.inject({ method: 'POST', url: '/v1/callbacks/bank/check', headers: form, payload: unknown.toString() })

  const other = await createListeningApp(t, { METRICS_RATE_LIMIT_PER_MINUTE: '1000' })
  const debt = await seedDebt(other.app)
  const acceptance = await accept(other.base, debt.id)
  const started = await startPayment(other.base, acceptance.id, 50_000)
  const payment = await started.json() as { id: string }
  t.equal(started.status, 201, JSON.stringify(payment))
  // flagged as the settlement or a registry flags one (their own tests show when)
  await other.app.db.updateTable('payments').set({ needs_review: true, review_reason: 'amount_mismatch' })
    .where('id', '=', fromPublicId('payment', payment.id) as string).execute()
  const flagged = (await other.app.inject({ method: 'GET', url: '/metrics' })).body
  t.equal(sample(flagged, 'debt_payments_payments_needs_review', { channel: 'card' }), 1, 'the flagged payment')

  const text = (await fresh.inject({ method: 'GET', url: '/metrics' })).body
  t.equal(sample(text, 'debt_payments_bank_callbacks_refused_total', { kind: 'result', reason: 'signature' }), 1, 'a bad signature')
  t.equal(sample(text, 'debt_payments_bank_callbacks_refused_total', { kind: 'check', reason: 'unknown_parameter' }), 1, 'an unknown name')
})

t.test('a backlog shows as depth and age', async (t) => {
  const { app: idle } = await createTestApp(t)
  await idle.db.transaction().execute(async (trx) => {
    await enqueueJob(trx, 'idempotency-purge', {}, { runAt: new Date('2026-01-01T00:00:00Z') })
  })
  const text = (await idle.inject({ method: 'GET', url: '/metrics' })).body
  t.equal(sample(text, 'debt_payments_jobs_runnable'), 1, 'nobody runs it: it waits')
  t.ok((sample(text, 'debt_payments_jobs_oldest_runnable_age_seconds') ?? 0) > 86_400, 'since it was due, long ago')
})

t.test('METRICS_TOKEN, when set, is required', async (t) => {
  const token = 'metrics-token-for-the-test-0001'
  const { app: guarded } = await createTestApp(t, { METRICS_TOKEN: token })
  const anonymous = await guarded.inject({ method: 'GET', url: '/metrics' })
  t.equal(anonymous.statusCode, 401)
  t.match(anonymous.json(), { code: 'unauthenticated' })
  t.equal((await guarded.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer wrong-token-of-some-length' } })).statusCode, 401)
  const allowed = await guarded.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } })
  t.equal(allowed.statusCode, 200)
  t.match(allowed.body, /debt_payments_payments|debt_payments_metrics_database_up 1/)
})

t.test('a worker serves its probes and metrics, not the API or its docs', async (t) => {
  const { app: worker } = await createTestApp(t, { ROLE: 'worker' })
  t.equal((await worker.inject({ method: 'GET', url: '/metrics' })).statusCode, 200)
  t.equal((await worker.inject({ method: 'GET', url: '/health/live' })).statusCode, 200)
  t.equal((await worker.inject({ method: 'GET', url: '/docs' })).statusCode, 404)
  t.equal((await worker.inject({ method: 'GET', url: '/openapi.json' })).statusCode, 404)
  t.equal((await worker.inject({ method: 'GET', url: '/v1/offer' })).statusCode, 404)
})

/** The app's pool as it hands connections out: how many times, and the most out at once. */
function watchPool (pool: pg.Pool): { acquired: number, mostAtOnce: number } {
  const seen = { acquired: 0, mostAtOnce: 0 }
  let out = 0
  pool.on('acquire', () => { seen.acquired++; seen.mostAtOnce = Math.max(seen.mostAtOnce, ++out) })
  pool.on('release', () => { out-- })
  return seen
}

interface HeldLedger { waiting: () => Promise<number>, release: () => Promise<void> }
/**
 * The ledger's lines locked by a connection of the test's own: the trial balance's consistency query waits on it,
 * as a slow one over 300,000 debts would, until `release`.
 */
async function holdLedger (databaseUrl: string): Promise<HeldLedger> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  await client.query('begin')
  await client.query('lock table ledger_lines in access exclusive mode')
  let released = false
  return {
    // every test database is a clone of one template, so the table has the same oid in each: this database's only
    waiting: async () => (await client.query<{ n: number }>(`select count(*)::int as n from pg_locks
      where relation = 'ledger_lines'::regclass and not granted
        and database = (select oid from pg_database where datname = current_database())`)).rows[0]?.n ?? 0,
    release: async () => {
      if (released) return
      released = true
      await client.query('commit')
      await client.end()
    }
  }
}

const scrapes = async (target: FastifyInstance, n: number) =>
  await Promise.all(Array.from({ length: n }, async () => await target.inject({ method: 'GET', url: '/metrics' })))

// Apps of the worker role, which serve /metrics too: nothing else of theirs uses the pool (the api role's sandbox bank
// polls it for due callbacks), so every connection the pool hands out is a scrape's.
const SCRAPED_ONLY = { ROLE: 'worker' }

t.test('fifty scrapes at once read the figures once, on one connection at a time', async (t) => {
  // what one scrape reads on a fresh app: every figure, the trial balance among them
  const { app: single } = await createTestApp(t, SCRAPED_ONLY)
  const alone = watchPool(single.dbPool)
  t.equal((await single.inject({ method: 'GET', url: '/metrics' })).statusCode, 200)
  t.ok(alone.acquired >= 10, `one read is ${alone.acquired} queries`)

  const { app: busy, databaseUrl } = await createTestApp(t, SCRAPED_ONLY)
  const pool = watchPool(busy.dbPool)
  const ledger = await holdLedger(databaseUrl)
  try {
    const answers = scrapes(busy, 50)
    await eventually(async () => await ledger.waiting() > 0)
    t.equal(await ledger.waiting(), 1, 'while the consistency query is slow, one read waits for it, not fifty')
    await ledger.release()
    const statuses = await answers
    t.same(statuses.map((a) => a.statusCode), Array(50).fill(200), 'every scrape is answered')
    t.ok(statuses.every((a) => sample(a.body, 'debt_payments_metrics_database_up') === 1), 'with the figures read')
    t.ok(statuses.every((a) => sample(a.body, 'debt_payments_ledger_consistent') === 1), 'and the ledger\'s')
  } finally {
    await ledger.release()
  }
  t.equal(pool.acquired, alone.acquired, 'the fifty read what one scrape reads')
  t.equal(pool.mostAtOnce, 1, 'one connection at a time')

  t.equal((await busy.inject({ method: 'GET', url: '/metrics' })).statusCode, 200)
  t.equal(pool.acquired, alone.acquired, 'a scrape right after reuses the read')
})

t.test('while scrapes wait for a slow ledger, the API keeps its connections', async (t) => {
  const { app: small, databaseUrl } = await createTestApp(t, { DATABASE_POOL_MAX: '2' })
  const ledger = await holdLedger(databaseUrl)
  try {
    const answers = scrapes(small, 50)
    await eventually(async () => await ledger.waiting() > 0)
    const ready = await small.inject({ method: 'GET', url: '/health/ready' })
    t.equal(ready.statusCode, 200, 'ready, not database_unavailable')
    const payment = await small.inject({ method: 'GET', url: '/v1/payments/pay_00000000000000000000000000000000' })
    t.equal(payment.json().code, 'payment_not_found', 'a payment is looked up')
    await ledger.release()
    t.ok((await answers).every((a) => a.statusCode === 200), 'and the scrapes are answered once the ledger is read')
  } finally {
    await ledger.release()
  }
})

t.test('scrapes past METRICS_RATE_LIMIT_PER_MINUTE are refused, per IP', async (t) => {
  const { app: limited } = await createTestApp(t, { METRICS_RATE_LIMIT_PER_MINUTE: '3' })
  const statuses = []
  let last
  for (let i = 0; i < 5; i++) {
    last = await limited.inject({ method: 'GET', url: '/metrics', remoteAddress: '10.1.2.3' })
    statuses.push(last.statusCode)
  }
  t.same(statuses, [200, 200, 200, 429, 429])
  t.equal(last!.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.equal(last!.json().code, 'rate_limited')
  t.match(last!.headers['retry-after'], /^\d+$/)
  const other = await limited.inject({ method: 'GET', url: '/metrics', remoteAddress: '10.9.9.9' })
  t.equal(other.statusCode, 200, 'another IP is not affected')
  const offer = await limited.inject({ method: 'GET', url: '/v1/offer', remoteAddress: '10.1.2.3' })
  t.equal(offer.statusCode, 200, 'the limit is the scrape\'s own')
  const document = (await limited.inject({ method: 'GET', url: '/openapi.json' })).json()
  const documented = document.paths['/metrics'].get.responses['429']
  t.match(JSON.stringify(documented), /"enum":\["rate_limited"\]/, 'and documented')
})

/** A statement on the test server itself (outside the app's database). */
async function onServer (text: string, values: unknown[] = []): Promise<void> {
  const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL })
  await client.connect()
  try { await client.query(text, values) } finally { await client.end() }
}

t.test('a read that fails is metrics_database_up 0 for every scrape waiting on it, and is not kept', async (t) => {
  const { app: cut, databaseUrl } = await createTestApp(t, SCRAPED_ONLY)
  const database = new URL(databaseUrl).pathname.slice(1)
  await onServer(`alter database ${database} allow_connections false`)
  try {
    await onServer('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [database])
    await eventually(async () => cut.dbPool.totalCount === 0)
    const during = await scrapes(cut, 20)
    t.same(during.map((a) => a.statusCode), Array(20).fill(200), 'every scrape is answered')
    const up = during.map((a) => sample(a.body, 'debt_payments_metrics_database_up'))
    t.same(up, Array(20).fill(0), 'saying the figures could not be read')
  } finally {
    await onServer(`alter database ${database} allow_connections true`)
  }

  const after = await cut.inject({ method: 'GET', url: '/metrics' })
  t.equal(after.statusCode, 200)
  t.equal(sample(after.body, 'debt_payments_metrics_database_up'), 1, 'the next scrape reads again')
  t.equal(sample(after.body, 'debt_payments_ledger_consistent'), 1)
})
