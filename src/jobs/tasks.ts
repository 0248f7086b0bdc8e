// Every background task, by name. Tasks get the application (database,
// cipher, bank, configuration) so they call the same services as routes.
import type { Task, TaskList } from 'graphile-worker'
import type { FastifyInstance } from 'fastify'
import { abandonImport, DEBT_IMPORT_TASK, processImport, requeueImport } from '../modules/debts/import-service.js'
import { collectIdleQueues, JobInterrupted } from '../db/jobs.js'
import { purgeExpiredLookupFailures } from '../modules/debts/service.js'
import { claimPayments } from '../modules/payments/claims.js'
import { reconcilePayments } from '../modules/payments/reconcile.js'
import { bankReportedRefunds } from '../modules/refunds/bank-reported.js'
import { purgeExpiredIdempotencyKeys } from '../http/idempotency.js'
import { executeRefund, flagOverdueRefunds, sweepOrphanedRefunds } from '../modules/refunds/execution.js'
import { purgeExpiredEmailFailures, REFUND_TASK } from '../modules/refunds/service.js'
import { verifyTrialBalance } from '../modules/ledger/service.js'
import { verifySettlements } from '../modules/settlements/overdue.js'
import { PRIVACY_ERASURE_TASK, processPrivacyRequest, sweepPrivacyRequests } from '../modules/privacy/erasure.js'
import { deliverMail } from '../modules/notifications/delivery.js'
import { MAIL_DELIVERY_TASK } from '../modules/notifications/service.js'
import { deliverWebhook } from '../modules/events/delivery.js'
import { purgeSandboxOrders } from '../bank/sandbox/retention.js'
import { purgeKaspiTransactionsBefore } from '../bank/kaspi-sandbox/repository.js'
import { WEBHOOK_DELIVERY_TASK } from '../modules/events/fan-out.js'
import { disableEndpointsOfExpiredKeys } from '../modules/api-keys/service.js'

function payloadId (payload: unknown, key: string): string {
  const value = (payload as Record<string, unknown> | null)?.[key]
  if (typeof value !== 'string') throw new Error(`job payload lacks ${key}`)
  return value
}

/** `stopping` is aborted when the process begins to stop: long tasks end at their next safe point. */
export function taskList (app: FastifyInstance, stopping?: AbortSignal): TaskList {
  const debtImport: Task = async (payload, helpers) => {
    const importId = payloadId(payload, 'importId')
    try {
      await processImport({ db: app.db, pii: app.pii, payments: claimPayments }, importId, stopping)
    } catch (error) {
      if (error instanceof JobInterrupted) {
        // a shutdown is not a failure: on the last attempt it gets a fresh job rather than being abandoned
        if (helpers.job.attempts >= helpers.job.max_attempts) await requeueImport(app.db, importId)
      } else if (helpers.job.attempts >= helpers.job.max_attempts) await abandonImport(app.db, importId)
      throw error
    }
  }
  const reconcile: Task = async () => {
    const result = await reconcilePayments({
      db: app.db,
      bank: app.bank,
      log: app.log,
      refunds: bankReportedRefunds,
      reconcileAfterSeconds: app.config.payments.reconcileAfterSeconds,
      ...(stopping !== undefined ? { signal: stopping } : {})
    })
    if (result.checked > 0) app.log.info({ ...result }, 'payments reconciled')
  }
  const refund: Task = async (payload, helpers) => {
    const waits = (payload as Record<string, unknown>).waits
    await executeRefund({ db: app.db, bank: app.bank, log: app.log, maxAttempts: app.config.refunds.maxAttempts }, payloadId(payload, 'refundId'), {
      number: helpers.job.attempts,
      last: helpers.job.attempts >= helpers.job.max_attempts,
      waits: typeof waits === 'number' ? waits : 0
    })
  }
  const refundSweep: Task = async () => {
    const orphaned = await sweepOrphanedRefunds(app.db)
    if (orphaned > 0) app.log.error({ orphaned }, 'refunds left pending by a stopped worker: needs_review')
  }
  const overdue: Task = async () => {
    const flagged = await flagOverdueRefunds(app.db)
    if (flagged > 0) app.log.warn({ flagged }, 'refunds overdue')
  }
  const privacyErase: Task = async (payload) => {
    await processPrivacyRequest({ db: app.db, pii: app.pii, log: app.log, publicBaseUrl: app.config.publicBaseUrl }, payloadId(payload, 'requestId'))
  }
  const privacySweep: Task = async () => {
    const completed = await sweepPrivacyRequests({
      db: app.db,
      pii: app.pii,
      log: app.log,
      publicBaseUrl: app.config.publicBaseUrl
    })
    if (completed > 0) app.log.info({ completed }, 'privacy requests erased after their legal hold')
  }
  const mailDeliver: Task = async (payload, helpers) => {
    await deliverMail({ db: app.db, pii: app.pii, config: app.config, transport: app.mailTransport, log: app.log }, payloadId(payload, 'mailId'), {
      number: helpers.job.attempts,
      max: helpers.job.max_attempts
    })
  }
  const webhookDeliver: Task = async (payload) => {
    await deliverWebhook(
      { db: app.db, pii: app.pii, names: app.eventNames, log: app.log, config: app.config.webhooks },
      payloadId(payload, 'deliveryId')
    )
  }
  const purgeIdempotency: Task = async () => { await purgeExpiredIdempotencyKeys(app.db) }
  const purgeLookups: Task = async () => {
    await purgeExpiredLookupFailures(app.db)
    await purgeExpiredEmailFailures(app.db)
  }
  const ledgerVerify: Task = async () => { await verifyTrialBalance(app.db, app.log) }
  const queuesCollect: Task = async () => { await collectIdleQueues(app.db) }
  const keysExpire: Task = async () => {
    const disabled = await disableEndpointsOfExpiredKeys(app.db)
    if (disabled > 0) app.log.info({ disabled }, 'webhook endpoints of expired API keys disabled')
  }
  const sandboxPurge: Task = async () => {
    const before = new Date(Date.now() - SANDBOX_RETENTION_DAYS * 86_400_000)
    const orders = await purgeSandboxOrders(app.db, before)
    const kaspi = await purgeKaspiTransactionsBefore(app.db, before)
    if (orders + kaspi > 0) app.log.info({ orders, kaspi }, 'sandbox banks: old orders forgotten')
  }
  const settlementsVerify: Task = async () => {
    await verifySettlements(app.db, app.config.settlements.overdueDays, app.log)
  }
  return { [DEBT_IMPORT_TASK]: debtImport, 'payments-reconcile': reconcile, 'idempotency-purge': purgeIdempotency, 'lookup-failures-purge': purgeLookups, [REFUND_TASK]: refund, 'refunds-overdue': overdue, 'refunds-sweep': refundSweep, [PRIVACY_ERASURE_TASK]: privacyErase, 'privacy-sweep': privacySweep, [LEDGER_VERIFY_TASK]: ledgerVerify, [SETTLEMENTS_VERIFY_TASK]: settlementsVerify, [QUEUES_COLLECT_TASK]: queuesCollect, [KEYS_EXPIRE_TASK]: keysExpire, [SANDBOX_PURGE_TASK]: sandboxPurge, [MAIL_DELIVERY_TASK]: mailDeliver, [WEBHOOK_DELIVERY_TASK]: webhookDeliver }
}

export const LEDGER_VERIFY_TASK = 'ledger-verify'
export const SETTLEMENTS_VERIFY_TASK = 'settlements-verify'
export const QUEUES_COLLECT_TASK = 'job-queues-collect'
export const KEYS_EXPIRE_TASK = 'api-keys-expire'
export const SANDBOX_PURGE_TASK = 'sandbox-purge'
/** How long the sandbox banks (card and Kaspi) remember an order (docs/operations.md#retention). */
export const SANDBOX_RETENTION_DAYS = 90

/** Recurring tasks (graphile-worker crontab syntax). */
export const CRONTAB = [
  '* * * * * payments-reconcile ?max=1',
  // the ordering queues that emptied (each payment's refunds have one): gone within a minute (db/jobs.ts)
  '* * * * * job-queues-collect ?max=1',
  // the webhook endpoints of API keys past their expiry stop receiving within a minute
  '* * * * * api-keys-expire ?max=1',
  '17 * * * * idempotency-purge ?max=1',
  '23 * * * * lookup-failures-purge ?max=1',
  '*/10 * * * * refunds-sweep ?max=1',
  // shortly after midnight in Almaty (UTC+5)
  '5 19 * * * refunds-overdue ?max=3',
  '15 19 * * * privacy-sweep ?max=3',
  // the daily trial balance: an error-level log on any difference
  '35 19 * * * ledger-verify ?max=3',
  // the daily payout check: an error-level log when succeeded payments wait past SETTLEMENT_OVERDUE_DAYS
  '45 19 * * * settlements-verify ?max=3',
  // the sandbox banks forget orders older than SANDBOX_RETENTION_DAYS (staging; nothing to do in live mode)
  '55 19 * * * sandbox-purge ?max=3'
].join('\n')
