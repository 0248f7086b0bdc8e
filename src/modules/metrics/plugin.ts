// docs/architecture.md, operations: GET /metrics in Prometheus text format. What happens in
// this process (HTTP requests, bank calls, callbacks) is counted as it
// happens; what the database knows (payments, refunds, jobs, emails, the
// ledger) is read at scrape time, so every process reports the same
// figures and a restart loses none. Each app has its own registry.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { AppConfig } from '../../config.js'
import { Unauthenticated } from '../../http/errors.js'
import { equalInConstantTime } from '../../lib/crypto.js'
import { problemResponses } from '../../http/schemas.js'
import { collectDatabaseFigures, type DatabaseFigures } from './figures.js'
import { RequestDurations } from './request-durations.js'

export interface Metrics {
  registry: Registry
  /** One call to the bank: the script, its outcome (ok, rejected, error, timeout, unavailable, protocol_error) and how long it took. */
  bankCall: (script: string, outcome: string, seconds: number) => void
  /** A bank callback answered: check or result, and our verdict (ok, rejected, error). */
  callback: (kind: string, verdict: string) => void
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics
  }
}

const PREFIX = 'debt_payments_'

/** HTTP request durations (request-durations.ts), made before any route is: app.ts adds its hooks first. */
export function httpRequestDurations (): RequestDurations {
  return new RequestDurations(`${PREFIX}http_request_duration_seconds`, 'HTTP requests by method, route template and status', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15])
}

export default fp(async function metricsPlugin (app: FastifyInstance, { config, durations }: { config: AppConfig, durations: RequestDurations }) {
  const registry = new Registry()
  registry.setDefaultLabels({ role: config.role })
  collectDefaultMetrics({ register: registry, prefix: PREFIX })

  durations.registerIn(registry)
  const bankCalls = new Counter({ name: `${PREFIX}bank_calls_total`, help: 'Calls to the acquirer by script and outcome', labelNames: ['script', 'outcome'] as const, registers: [registry] })
  const bankDuration = new Histogram({
    name: `${PREFIX}bank_call_duration_seconds`,
    help: 'Duration of calls to the acquirer by script and outcome',
    labelNames: ['script', 'outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30],
    registers: [registry]
  })
  const callbacks = new Counter({ name: `${PREFIX}bank_callbacks_total`, help: 'Bank callbacks by kind and our verdict', labelNames: ['kind', 'verdict'] as const, registers: [registry] })

  // Read from the database at scrape time (figures.ts): one gauge per figure, set by the collect of the first.
  const payments = new Gauge({ name: `${PREFIX}payments`, help: 'Payments by status', labelNames: ['status'] as const, registers: [registry] })
  const stuckPayments = new Gauge({ name: `${PREFIX}payments_pending_past_lifetime`, help: 'Pending payments older than their lifetime plus 10 minutes (reconciliation is behind)', registers: [registry] })
  const refunds = new Gauge({ name: `${PREFIX}refunds`, help: 'Refunds and returns by status', labelNames: ['status'] as const, registers: [registry] })
  const overdue = new Gauge({ name: `${PREFIX}refund_requests_overdue`, help: 'Approved refund requests past their due date (offer cl. 5)', registers: [registry] })
  const jobs = new Gauge({ name: `${PREFIX}jobs_runnable`, help: 'Jobs due and not locked (queue depth)', registers: [registry] })
  const jobsLocked = new Gauge({ name: `${PREFIX}jobs_locked`, help: 'Jobs a worker is running', registers: [registry] })
  const oldestJob = new Gauge({ name: `${PREFIX}jobs_oldest_runnable_age_seconds`, help: 'Age of the oldest runnable job (0 when none)', registers: [registry] })
  const failedJobs = new Gauge({ name: `${PREFIX}jobs_failed_permanently`, help: 'Jobs that used all their attempts', registers: [registry] })
  const emails = new Gauge({ name: `${PREFIX}emails`, help: 'Emails in the outbox by status', labelNames: ['status'] as const, registers: [registry] })
  const webhooks = new Gauge({ name: `${PREFIX}webhook_deliveries`, help: 'Webhook delivery attempts by outcome', labelNames: ['outcome'] as const, registers: [registry] })
  const webhookEndpointsDisabled = new Gauge({ name: `${PREFIX}webhook_endpoints_disabled`, help: 'Webhook endpoints disabled (410 or failing for 5 days)', registers: [registry] })
  const ledger = new Gauge({ name: `${PREFIX}ledger_consistent`, help: '1 when the trial balance ties out (checked at most once a minute), 0 otherwise', registers: [registry] })
  const ledgerTotal = new Gauge({ name: `${PREFIX}ledger_trial_balance_tiyn`, help: 'Sum of all ledger balances: 0 when consistent', registers: [registry] })
  const databaseUp = new Gauge({ name: `${PREFIX}metrics_database_up`, help: '1 when the database figures could be read at this scrape', registers: [registry] })

  let ledgerCache: { at: number, figures: DatabaseFigures['ledger'] } | null = null
  const set = (gauge: Gauge<'status'> | Gauge<'outcome'>, label: 'status' | 'outcome', values: Record<string, number>) => {
    gauge.reset()
    for (const [key, value] of Object.entries(values)) (gauge as Gauge<string>).set({ [label]: key }, value)
  }
  async function readDatabase (): Promise<void> {
    try {
      const now = Date.now()
      const reuseLedger = ledgerCache !== null && now - ledgerCache.at < 60_000
      const figures = await collectDatabaseFigures(app.db, { ledger: !reuseLedger, paymentLifetimeSeconds: config.payments.lifetimeSeconds })
      if (figures.ledger !== null) ledgerCache = { at: now, figures: figures.ledger }
      set(payments, 'status', figures.payments)
      stuckPayments.set(figures.stuckPayments)
      set(refunds, 'status', figures.refunds)
      overdue.set(figures.overdueRefundRequests)
      jobs.set(figures.jobs.runnable)
      jobsLocked.set(figures.jobs.locked)
      oldestJob.set(figures.jobs.oldestRunnableAgeSeconds)
      failedJobs.set(figures.jobs.failed)
      set(emails, 'status', figures.emails)
      set(webhooks, 'outcome', figures.webhookDeliveries)
      webhookEndpointsDisabled.set(figures.webhookEndpointsDisabled)
      const ledgerFigures = ledgerCache?.figures
      if (ledgerFigures !== undefined && ledgerFigures !== null) {
        ledger.set(ledgerFigures.consistent ? 1 : 0)
        ledgerTotal.set(ledgerFigures.total)
      }
      databaseUp.set(1)
    } catch (error) {
      databaseUp.set(0)
      app.log.warn({ sqlState: (error as { code?: unknown }).code }, 'metrics: the database figures could not be read')
    }
  }

  app.decorate('metrics', {
    registry,
    bankCall: (script, outcome, seconds) => {
      bankCalls.inc({ script, outcome })
      bankDuration.observe({ script, outcome }, seconds)
    },
    callback: (kind, verdict) => { callbacks.inc({ kind, verdict }) }
  } satisfies Metrics)

  app.get('/metrics', {
    config: { rateLimit: false, database: false },
    schema: {
      operationId: 'getMetrics',
      tags: ['Health'],
      summary: 'Prometheus metrics',
      description: 'Prometheus text format: HTTP request durations by route template and status; payments, refunds and emails by status; ' +
        'overdue refund requests; bank calls by script and outcome with durations; callbacks by kind and verdict; job queue depth and the oldest runnable ' +
        'job\'s age; webhook deliveries by outcome; ledger consistency. With `METRICS_TOKEN` set, it must be sent as `Authorization: Bearer <token>` (401 otherwise).',
      // open, or the METRICS_TOKEN bearer when one is set
      security: [{}, { metricsToken: [] }],
      response: {
        200: { description: 'Prometheus exposition format 0.0.4', content: { 'text/plain; version=0.0.4; charset=utf-8': { schema: { type: 'string' } } } },
        ...problemResponses({ 401: ['unauthenticated'] })
      }
    }
  }, async (request, reply) => {
    if (config.metricsToken !== null) {
      const header = request.headers.authorization ?? ''
      const token = header.startsWith('Bearer ') ? header.slice(7) : ''
      if (!equalInConstantTime(token, config.metricsToken)) throw new Unauthenticated('A valid metrics token is required: Authorization: Bearer <METRICS_TOKEN>')
    }
    await readDatabase()
    return await reply.type(registry.contentType).send(await registry.metrics())
  })
}, { name: 'metrics', dependencies: ['database'] })
