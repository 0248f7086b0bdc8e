// The sandbox has no clock of its own: a payment past its pg_lifetime fails
// when someone next looks at it (the page, get_status3.php). `expired` is
// true for the one look that made it so.
import { PAYMENT_FAILURES } from './codes.js'
import { expirePayment } from './repository.js'
import type { SandboxDb, SandboxPayment } from './types.js'

export async function expireIfDue (
  db: SandboxDb, payment: SandboxPayment, now = new Date()
): Promise<{ payment: SandboxPayment, expired: boolean }> {
  if (payment.status !== 'pending' || payment.expiresAt > now) return { payment, expired: false }
  const expired = await expirePayment(db, payment.id, PAYMENT_FAILURES.expired)
  return expired === null ? { payment, expired: false } : { payment: expired, expired: true }
}
