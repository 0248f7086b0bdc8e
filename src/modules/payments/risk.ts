// offer cl. 8: the agency may refuse a suspicious payment. Each rule is a
// configurable limit (RISK_*) whose default never stops an ordinary payer.
import type { Database } from '../../db/database.js'
import type { Config } from '../../config.js'
import { countPaymentsSince } from './repository.js'

export interface RiskSubject { ipIndex: string, iinIndex: string, emailIndex: string, amount: bigint }

export type RefusalReason = 'amount_over_limit' | 'too_many_payments_ip' | 'too_many_payments_iin' | 'too_many_payments_email' | 'too_many_failed_attempts'

const HOUR = 60 * 60 * 1000

export async function assessRisk (
  db: Database, limits: Config['risk'], subject: RiskSubject, now = new Date()
): Promise<RefusalReason | null> {
  if (subject.amount > limits.maxPaymentAmount) return 'amount_over_limit'
  const hourAgo = new Date(now.getTime() - HOUR)
  const dayAgo = new Date(now.getTime() - 24 * HOUR)
  const reached = async (
    column: 'ip_index' | 'iin_index' | 'email_index', value: string, since: Date, limit: number, statuses?: ['failed']
  ): Promise<boolean> => await countPaymentsSince(db, column, value, since, limit, statuses) >= limit
  if (await reached('ip_index', subject.ipIndex, hourAgo, limits.maxPaymentsPerHourPerIp)) return 'too_many_payments_ip'
  if (await reached('iin_index', subject.iinIndex, hourAgo, limits.maxPaymentsPerHourPerIin)) return 'too_many_payments_iin'
  if (await reached('email_index', subject.emailIndex, hourAgo, limits.maxPaymentsPerHourPerEmail)) {
    return 'too_many_payments_email'
  }
  if (await reached('iin_index', subject.iinIndex, dayAgo, limits.maxFailedPaymentsPerDayPerIin, ['failed'])) {
    return 'too_many_failed_attempts'
  }
  return null
}
