// A payment's client secret (Stripe's `client_secret` pattern): returned once
// by POST /v1/payments, presented as `X-Client-Secret` to read what names the
// payer (the receipt). Only its SHA-256 is stored: a database dump does not
// open receipts. 24 random bytes = 192 bits: not guessable, so a plain hash
// (no salt, no slow KDF) is enough.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

const SECRET_BYTES = 24

export function newClientSecret (paymentPublicId: string): { secret: string, hash: string } {
  const secret = `${paymentPublicId}_secret_${randomBytes(SECRET_BYTES).toString('base64url')}`
  return { secret, hash: clientSecretHash(secret) }
}

export function clientSecretHash (secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex')
}

const NO_HASH = Buffer.alloc(32)

/**
 * True when the presented secret is the payment's. Both sides are hashed to
 * 32 bytes first, so the constant-time compare never depends on the
 * presented length, and it runs even when there is nothing to match.
 */
export function clientSecretMatches (storedHash: string | null | undefined, presented: string | undefined): boolean {
  const expected = storedHash === null || storedHash === undefined ? NO_HASH : Buffer.from(storedHash, 'hex')
  const given = createHash('sha256').update(presented ?? '', 'utf8').digest()
  const equal = expected.length === given.length && timingSafeEqual(expected, given)
  return equal && presented !== undefined && expected !== NO_HASH
}
