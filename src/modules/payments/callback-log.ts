// The log of callbacks that are not the bank's: a signature that does not
// verify, or a name their script does not take (DESIGN 16). Anyone can send
// them, so what they cost is bounded: a digest of at most a few KB instead
// of the body (the parameter names, the first characters of each value, a
// SHA-256 of all of it), at most INVALID_PER_HOUR rows an hour, and rows
// older than INVALID_RETENTION are dropped as new ones arrive. Enough to
// diagnose a misconfigured secret or see an attack; never 1 MB a row.
// Worst case: 100 an hour for 30 days, about 72 000 rows of ~4 KB.
// The digest is encrypted like the raw callbacks: values may hold the
// payer's contacts.
import { createHash } from 'node:crypto'
import type { Database } from '../../db/database.js'
import type { PiiCipher } from '../../lib/crypto.js'
import { isPersonalParam, WITHHELD, type InvalidCallbackReason } from '../../bank/callbacks.js'
import { countRecentInvalidCallbacks, insertCallback, purgeOldInvalidCallbacks } from './repository.js'

export const INVALID_PER_HOUR = 100
export const INVALID_RETENTION_SECONDS = 30 * 24 * 3600
const MAX_NAMES = 64
const MAX_NAME_CHARS = 64
const MAX_VALUE_CHARS = 128
const MAX_TOTAL_CHARS = 2048

export interface CallbackDigest {
  /** Name -> the value's first characters, in name order, within the budget. */
  params: Record<string, string>
  paramCount: number
  truncated: boolean
  /** SHA-256 (hex) of every parameter, in full, sorted by name: matches the bank's own log. */
  sha256: string
  chars: number
}

export function callbackDigest (params: Record<string, string>): CallbackDigest {
  const names = Object.keys(params).sort()
  const canonical = JSON.stringify(names.map((name) => [name, params[name]]))
  const kept: Record<string, string> = {}
  let budget = MAX_TOTAL_CHARS
  let truncated = names.length > MAX_NAMES
  for (const name of names.slice(0, MAX_NAMES)) {
    // the payer's contacts are not kept, even as a prefix (docs/architecture.md, personal data)
    const full = isPersonalParam(name) ? WITHHELD : (params[name] ?? '')
    const key = name.slice(0, MAX_NAME_CHARS)
    const value = full.slice(0, MAX_VALUE_CHARS)
    if (key.length + value.length > budget) {
      truncated = true
      break
    }
    if (key !== name || value !== full) truncated = true
    kept[key] = value
    budget -= key.length + value.length
  }
  return { params: kept, paramCount: names.length, truncated, sha256: createHash('sha256').update(canonical, 'utf8').digest('hex'), chars: canonical.length }
}

export function isCallbackDigest (value: unknown): value is CallbackDigest {
  const candidate = value as Partial<CallbackDigest> | null
  return typeof candidate?.sha256 === 'string' && typeof candidate.params === 'object' && candidate.params !== null
}

export interface InvalidCallback {
  kind: 'check' | 'result'
  reason: InvalidCallbackReason
  /** pg_sig verifies over the values: a genuine callback under other names (or a name the bank added). */
  valuesSigned: boolean
  paymentId: string | null
  orderId: string | null
  params: Record<string, string>
  replyXml: string
}

/** Logs an invalid callback within the bounds; false when the hour's quota is spent (not stored). */
export async function logInvalidCallback (
  deps: { db: Database, pii: PiiCipher }, callback: InvalidCallback
): Promise<boolean> {
  await purgeOldInvalidCallbacks(deps.db, INVALID_RETENTION_SECONDS)
  if (await countRecentInvalidCallbacks(deps.db, 3600) >= INVALID_PER_HOUR) return false
  const digest = callbackDigest(callback.params)
  await insertCallback(deps.db, {
    kind: callback.kind,
    payment_id: callback.paymentId,
    order_id: callback.orderId?.slice(0, 100) ?? null,
    signature_valid: false,
    dedupe_key: null,
    raw_encrypted: deps.pii.encrypt(JSON.stringify({ ...digest, valuesSigned: callback.valuesSigned })),
    reply_status: 'error',
    reply_description: callback.reason,
    reply_xml: callback.replyXml
  })
  return true
}
