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

/** Anything shaped like a token, wherever it stands. */
const TOKEN_ANYWHERE = /plt_[A-Za-z0-9_-]{8,}/g

/**
 * A path with every payment-link token withheld: a token in a log line would open the link to its reader. The path
 * is read as the router reads it (percent-escapes decoded), so `/v1/payment%2Dlinks/plt_…` is withheld too.
 */
export function pathWithoutPaymentLinkTokens (path: string): string {
  let decoded = path
  if (path.includes('%')) {
    try { decoded = decodeURIComponent(path) } catch { /* a malformed escape: read it as sent */ }
  }
  if (!decoded.includes('/payment-links/') && !decoded.includes(TOKEN_PREFIX)) return path
  return decoded.replace(TOKEN_SEGMENT, '/payment-links/[withheld]').replace(TOKEN_ANYWHERE, '[withheld]')
}
