// docs/architecture.md, operations: GET /metrics in Prometheus text format. What happens in
// this process (HTTP requests, bank calls, callbacks) is counted as it
// happens; what the database knows (payments, refunds, jobs, emails, the
// ledger) is read at scrape time, so every process reports the same
// figures and a restart loses none. Each app has its own registry. The
// route itself is routes.ts, registered after the rate limiter (app.ts).
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { AppConfig } from '../../config.js'
import { collectDatabaseFigures } from './figures.js'
import { RequestDurations } from './request-durations.js'

export interface Metrics {
  registry: Registry
  /** What GET /metrics answers (routes.ts): the database figures, read or reused, then every metric as text. */
  scrape: () => Promise<string>
  /**
   * One call to the bank: the script, its outcome (ok, rejected, error, timeout, unavailable, protocol_error) and how
   * long it took.
   */
  bankCall: (script: string, outcome: string, seconds: number) => void
  /** A bank callback answered: check or result, and our verdict (ok, rejected, error). */
  callback: (kind: string, verdict: string) => void
  /** A callback refused as not the bank's: a bad signature, or a parameter name its script does not take. */
  refusedCallback: (kind: string, reason: 'signature' | 'unknown_parameter') => void
  /** A call of Kaspi's channel answered: its command (check, pay, or unknown) and the protocol's `result` (0-5). */
  kaspiRequest: (command: string, result: number) => void
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics
  }
}

const PREFIX = 'debt_payments_'
/** A burst of scrapes (Prometheus replicas, a dashboard's panels) within this reuses one read of the figures. */
const FIGURES_FRESH_MS = 5_000
/** The trial balance reads every ledger line (1.5 s over 300,000 debts): at most once a minute. */
const LEDGER_FRESH_MS = 60_000

/** HTTP request durations (request-durations.ts), made before any route is: app.ts adds its hooks first. */
export function httpRequestDurations (): RequestDurations {
  return new RequestDurations(`${PREFIX}http_request_duration_seconds`, 'HTTP requests by method, route template and status', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15])
}

export default fp(async function metricsPlugin (
  app: FastifyInstance, { config, durations }: { config: AppConfig, durations: RequestDurations }
) {
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
  const refusedCallbacks = new Counter({
    name: `${PREFIX}bank_callbacks_refused_total`,
    help: 'Bank callbacks refused as not the bank\'s, by kind and reason (signature, unknown_parameter)',
    labelNames: ['kind', 'reason'] as const,
    registers: [registry]
  })
  const kaspiRequests = new Counter({
    name: `${PREFIX}kaspi_requests_total`,
    help: 'Calls of Kaspi\'s check/pay channel by command and the result answered (0 ok, 1-3 refusals, 4 in progress, ' +
      '5 error)',
    labelNames: ['command', 'result'] as const,
    registers: [registry]
  })

  // Read from the database at scrape time (figures.ts): one gauge per figure, set by the collect of the first.
  const payments = new Gauge({ name: `${PREFIX}payments`, help: 'Payments by status and channel (card, kaspi)', labelNames: ['status', 'channel'] as const, registers: [registry] })
  const paymentsNeedingReview = new Gauge({
    name: `${PREFIX}payments_needs_review`,
    help: 'Payments flagged for review (needsReview: the bank\'s facts do not fit ours), by channel',
    labelNames: ['channel'] as const,
    registers: [registry]
  })
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
  const settlementsOverdue = new Gauge({
    name: `${PREFIX}settlements_overdue`,
    help: 'Succeeded payments no acquirer payout settled within SETTLEMENT_OVERDUE_DAYS business days, by channel',
    labelNames: ['channel'] as const,
    registers: [registry]
  })
  const ledger = new Gauge({ name: `${PREFIX}ledger_consistent`, help: '1 when the trial balance ties out (checked at most once a minute), 0 otherwise', registers: [registry] })
  const ledgerTotal = new Gauge({ name: `${PREFIX}ledger_trial_balance_tiyn`, help: 'Sum of all ledger balances: 0 when consistent', registers: [registry] })
  const databaseUp = new Gauge({
    name: `${PREFIX}metrics_database_up`,
    help: '1 when the last read of the database figures succeeded (a read is reused for 5 s)',
    registers: [registry]
  })

  const set = (gauge: Gauge<'status'> | Gauge<'outcome'>, label: 'status' | 'outcome', values: Record<string, number>) => {
    gauge.reset()
    for (const [key, value] of Object.entries(values)) (gauge as Gauge<string>).set({ [label]: key }, value)
  }

  // DESIGN 22: 150 scrapes at once each ran the trial balance and took the pool from the API (503s for seconds).
  // Now one read at a time, shared by every scrape that arrives while it runs and reused while fresh; its queries
  // run one after another, so a burst of scrapes holds at most one connection. It never rejects: a failure is
  // metrics_database_up 0 for every scrape that waited, and is not kept (the next scrape reads again).
  let reading: Promise<void> | null = null
  let figuresReadAt = -Infinity
  let ledgerReadAt = -Infinity
  async function readDatabase (): Promise<void> {
    if (Date.now() - figuresReadAt < FIGURES_FRESH_MS) return
    reading ??= readFigures().finally(() => { reading = null })
    await reading
  }
  async function readFigures (): Promise<void> {
    try {
      const startedAt = Date.now()
      const figures = await collectDatabaseFigures(app.db, {
        ledger: startedAt - ledgerReadAt >= LEDGER_FRESH_MS,
        paymentLifetimeSeconds: config.payments.lifetimeSeconds,
        settlementOverdueDays: config.settlements.overdueDays
      })
      payments.reset()
      for (const { status, channel, count } of figures.payments) payments.set({ status, channel }, count)
      paymentsNeedingReview.reset()
      const review: Record<string, number> = { card: 0, kaspi: 0 }
      for (const { channel, needsReview } of figures.payments) review[channel] = (review[channel] ?? 0) + needsReview
      for (const [channel, count] of Object.entries(review)) paymentsNeedingReview.set({ channel }, count)
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
      settlementsOverdue.reset()
      for (const [channel, count] of Object.entries(figures.settlementsOverdue)) {
        settlementsOverdue.set({ channel }, count)
      }
      if (figures.ledger !== null) {
        ledger.set(figures.ledger.consistent ? 1 : 0)
        ledgerTotal.set(figures.ledger.total)
        ledgerReadAt = startedAt
      }
      databaseUp.set(1)
      figuresReadAt = Date.now()
    } catch (error) {
      databaseUp.set(0)
      app.log.warn({ sqlState: (error as { code?: unknown }).code }, 'metrics: the database figures could not be read')
    }
  }

  app.decorate('metrics', {
    registry,
    scrape: async () => {
      await readDatabase()
      return await registry.metrics()
    },
    bankCall: (script, outcome, seconds) => {
      bankCalls.inc({ script, outcome })
      bankDuration.observe({ script, outcome }, seconds)
    },
    callback: (kind, verdict) => { callbacks.inc({ kind, verdict }) },
    refusedCallback: (kind, reason) => { refusedCallbacks.inc({ kind, reason }) },
    kaspiRequest: (command, result) => { kaspiRequests.inc({ command, result: String(result) }) }
  } satisfies Metrics)
}, { name: 'metrics', dependencies: ['database'] })
