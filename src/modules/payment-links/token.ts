// A payment link's token: `plt_` + 24 random bytes (192 bits, base64url), shown once when the link is made and
// printed in a letter; only its SHA-256 is stored, so a database dump opens no link. A random token of that size
// cannot be guessed, so a plain hash (no salt, no slow KDF) is enough, as for API keys and receipt secrets.
import { createHash, randomBytes } from 'node:crypto'

export const TOKEN_PREFIX = 'plt_'
const TOKEN_BYTES = 24

export function newPaymentLinkToken (): { token: string, hash: string } {
  const token = `${TOKEN_PREFIX}${randomBytes(TOKEN_BYTES).toString('base64url')}`
  return { token, hash: paymentLinkTokenHash(token) }
}

export function paymentLinkTokenHash (token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/** The segment after `/payment-links/` that is neither a link's id nor the batch: a token, however it is spelt. */
const TOKEN_SEGMENT = /\/payment-links\/(?!plk_[0-9a-f]{32}(?:[/?#]|$)|batch(?:[/?#]|$))[^/?#]+/g

/** A path with every payment-link token withheld: a token in a log line would open the link to its reader. */
export function pathWithoutPaymentLinkTokens (path: string): string {
  return path.includes('/payment-links/') ? path.replace(TOKEN_SEGMENT, '/payment-links/[withheld]') : path
}
