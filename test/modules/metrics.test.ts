import { readFileSync } from 'node:fs'
import t from 'tap'
import { createTestApp, eventually, startTestWorker } from '../helpers/app.js'
import { accept, createListeningApp, seedDebt, startPayment, submitAtBank } from '../helpers/payments.js'
import { enqueueJob } from '../../src/jobs/queue.js'

/**
 * GET /metrics speaks Prometheus text, with the figures
 * an on-call engineer watches, taken from what really happened: a payment
 * over HTTP, the bank's calls and callbacks, the jobs, the emails, the ledger.
 */
const { app, base, config } = await createListeningApp(t)
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
