// Failures counted per key in a window, locking the key once they reach a threshold: the lookup's per-contract
// counter (migrations/0010) and the refund request's per-payment one (0026) are this one rule over tables of one
// shape (`failures`, `window_started_at`, `locked_until`, `expires_at` beside the key). Postgres's clock, so every
// api process agrees; a row past `expires_at` no longer matters and is purged.
import { sql } from 'kysely'
import type { Handle } from './database.js'

export interface FailureWindow {
  table: 'lookup_contract_failures' | 'refund_request_email_failures'
  keyColumn: 'contract_key' | 'payment_id'
}

/**
 * Counts one failure of `key` in a window of `seconds` started by the first one; the one that reaches `threshold`
 * locks the key for `seconds`. While locked nothing is counted, so the lock ends on time.
 */
export async function recordFailure (
  db: Handle, window: FailureWindow, key: string, threshold: number, seconds: number
): Promise<void> {
  const span = sql`make_interval(secs => ${seconds})`
  const fresh = sql`f.window_started_at <= now() - ${span}`
  const failures = sql`case when ${fresh} then 1 else f.failures + 1 end`
  const lockedUntil = sql`case when ${failures} >= ${threshold} then now() + ${span} end`
  await sql`
    insert into ${sql.table(window.table)} as f
      (${sql.ref(window.keyColumn)}, failures, window_started_at, locked_until, expires_at)
    values (${key}, 1, now(), case when 1 >= ${threshold} then now() + ${span} end, now() + ${span})
    on conflict (${sql.ref(window.keyColumn)}) do update set
      failures = ${failures},
      window_started_at = case when ${fresh} then now() else f.window_started_at end,
      locked_until = ${lockedUntil},
      expires_at = coalesce(${lockedUntil}, case when ${fresh} then now() else f.window_started_at end + ${span})
    where f.locked_until is null or f.locked_until <= now()`.execute(db)
}

/** Whether `key` is locked now. */
export async function isLocked (db: Handle, window: FailureWindow, key: string): Promise<boolean> {
  const result = await sql<{ locked: boolean }>`select exists (select 1 from ${sql.table(window.table)}
    where ${sql.ref(window.keyColumn)} = ${key} and locked_until > now()) as locked`.execute(db)
  return result.rows[0]?.locked === true
}

/** Forgets the counters whose window (and lock) has passed; how many went. */
export async function purgeFailures (db: Handle, window: FailureWindow): Promise<number> {
  const result = await sql`delete from ${sql.table(window.table)} where expires_at <= now()`.execute(db)
  return Number(result.numAffectedRows ?? 0n)
}
