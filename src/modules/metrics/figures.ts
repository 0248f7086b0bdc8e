// The figures the database knows, read at scrape time with a handful of
// aggregate queries on indexed columns.
import { sql, type RawBuilder } from 'kysely'
import type { Database } from '../../db/database.js'
import { almatyDate } from '../../lib/calendar.js'
import { trialBalance } from '../ledger/service.js'
import { overdueCounts } from '../settlements/overdue.js'

export interface DatabaseFigures {
  /** Payments by status and channel, and how many of them are flagged for review (`needsReview`). */
  payments: Array<{ status: string, channel: string, count: number, needsReview: number }>
  stuckPayments: number
  refunds: Record<string, number>
  overdueRefundRequests: number
  jobs: { runnable: number, locked: number, failed: number, oldestRunnableAgeSeconds: number }
  emails: Record<string, number>
  webhookDeliveries: Record<string, number>
  webhookEndpointsDisabled: number
  ledger: { consistent: boolean, total: number } | null
  /** Succeeded payments past SETTLEMENT_OVERDUE_DAYS with no payout, by channel. */
  settlementsOverdue: Record<string, number>
}

/** Rows per status; each query names its table in its text, where the table-owner lint reads it. */
async function countsBy (db: Database, query: RawBuilder<{ key: string, n: string }>): Promise<Record<string, number>> {
  const rows = await query.execute(db)
  return Object.fromEntries(rows.rows.map((r) => [r.key, Number(r.n)]))
}

export async function collectDatabaseFigures (
  db: Database, options: { ledger: boolean, paymentLifetimeSeconds: number, settlementOverdueDays: number }
): Promise<DatabaseFigures> {
  const stuck = await sql<{ n: string }>`select count(*) as n from payments
    where status = 'pending' and created_at < now() - make_interval(secs => ${options.paymentLifetimeSeconds + 600})`.execute(db)
  const overdue = await sql<{ n: string }>`select count(*) as n from refund_requests
    where open and status = 'approved' and due_at < ${almatyDate(new Date())}`.execute(db)
  // graphile-worker 0.17's own table: due, unlocked, attempts left = runnable
  const jobs = await sql<{ runnable: string, locked: string, failed: string, oldest: number | null }>`
    select count(*) filter (where locked_at is null and run_at <= now() and attempts < max_attempts) as runnable,
           count(*) filter (where locked_at is not null) as locked,
           count(*) filter (where attempts >= max_attempts) as failed,
           extract(epoch from now() - min(run_at) filter (where locked_at is null and run_at <= now() and attempts < max_attempts))::float8 as oldest
    from graphile_worker._private_jobs`.execute(db)
  const job = jobs.rows[0]
  const disabled = await sql<{ n: string }>`select count(*) as n from webhook_endpoints where status = 'disabled'`.execute(db)
  let ledger: DatabaseFigures['ledger'] = null
  if (options.ledger) {
    const balance = await trialBalance(db)
    ledger = { consistent: balance.consistent, total: balance.total }
  }
  return {
    payments: (await sql<{ status: string, channel: string, n: string, review: string }>`
      select status::text as status, channel::text as channel, count(*) as n,
        count(*) filter (where needs_review) as review
      from payments group by 1, 2`.execute(db))
      .rows.map((r) => ({ status: r.status, channel: r.channel, count: Number(r.n), needsReview: Number(r.review) })),
    stuckPayments: Number(stuck.rows[0]?.n ?? 0),
    refunds: await countsBy(db, sql`select status::text as key, count(*) as n from refunds group by 1`),
    overdueRefundRequests: Number(overdue.rows[0]?.n ?? 0),
    jobs: {
      runnable: Number(job?.runnable ?? 0),
      locked: Number(job?.locked ?? 0),
      failed: Number(job?.failed ?? 0),
      oldestRunnableAgeSeconds: Math.max(0, job?.oldest ?? 0)
    },
    emails: await countsBy(db, sql`select status::text as key, count(*) as n from mail_outbox group by 1`),
    webhookDeliveries: await countsBy(db, sql`
      select status::text as key, count(*) as n from webhook_deliveries group by 1`),
    webhookEndpointsDisabled: Number(disabled.rows[0]?.n ?? 0),
    ledger,
    settlementsOverdue: await overdueCounts(db, options.settlementOverdueDays)
  }
}
