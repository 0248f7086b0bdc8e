/**
 * pg_sig of the FFIN Payments / Freedom Pay merchant protocol (docs/bank-protocol.md):
 * md5 of the script name, every parameter value sorted by parameter name and
 * the secret key, joined with ';'. The same rule signs our requests, the
 * bank's answers, the bank's callbacks and our replies to them.
 */
import { createHash, randomBytes } from 'node:crypto'
import { equalInConstantTime } from '../lib/crypto.js'

const SIGNATURE = 'pg_sig'

/**
 * Signs init_payment.php with pg_amount=25, pg_description=test,
 * pg_merchant_id=M, pg_order_id=23, pg_salt=molbulak and secret S over
 * 'init_payment.php;25;test;M;23;molbulak;S'.
 */
export function signParams (scriptName: string, params: Record<string, string>, secretKey: string): string {
  // the default sort compares UTF-16 code units: plain byte order for the ASCII pg_* names
  const names = Object.keys(params).filter((name) => name !== SIGNATURE).sort()
  const values = names.map((name) => params[name])
  return createHash('md5').update([scriptName, ...values, secretKey].join(';'), 'utf8').digest('hex')
}

/** Constant-time check of pg_sig; false (never an exception) when it is missing or malformed. */
export function verifyParams (scriptName: string, params: Record<string, string>, secretKey: string): boolean {
  const received = params[SIGNATURE]
  if (typeof received !== 'string') return false
  return equalInConstantTime(received, signParams(scriptName, params, secretKey))
}

/**
 * The script name the bank signs with: the last non-empty path segment,
 * without query or fragment ('/v1/callbacks/bank/result?x=1' -> 'result').
 */
export function scriptNameFromPath (pathOrUrl: string): string {
  const path = pathOrUrl
    .replace(/[?#].*$/s, '')
    .replace(/^[a-z][a-z\d+.-]*:\/\/[^/]*/i, '')
  return path.split('/').filter((segment) => segment !== '').at(-1) ?? ''
}

/** pg_salt: every request and reply carries a fresh one. */
export function randomSalt (): string {
  return randomBytes(16).toString('hex')
}
