/**
 * Payer emails. The agency compares emails case-insensitively (a refund
 * request must name the payer's email), so the whole address is lowercased
 * once here and stored that way.
 */
export type EmailNormalization = { ok: true, email: string } | { ok: false }

// Pragmatic, not RFC 5322: an unquoted dot-atom local part (no spaces, no
// quotes, commas or angle brackets that could split a mail header) and a
// domain of ASCII labels; internationalised domains come as punycode.
const LOCAL_PART = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/
const DOMAIN_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/
const MAX_LENGTH = 254
const MAX_LOCAL_LENGTH = 64

/** " Ivan.Petrov@Mail.KZ " -> "ivan.petrov@mail.kz" */
export function normalizeEmail (text: string): EmailNormalization {
  const email = text.trim().toLowerCase()
  if (email.length > MAX_LENGTH) return { ok: false }

  const parts = email.split('@')
  if (parts.length !== 2) return { ok: false }
  const [local, domain] = parts as [string, string]
  if (local.length > MAX_LOCAL_LENGTH || !LOCAL_PART.test(local)) return { ok: false }

  const labels = domain.split('.')
  const topLevel = labels[labels.length - 1] as string
  if (labels.length < 2 || !labels.every((label) => DOMAIN_LABEL.test(label))) return { ok: false }
  // "user@10.0.0.1" is no mailbox we can write to
  if (/^[0-9]+$/.test(topLevel)) return { ok: false }

  return { ok: true, email }
}

/** "ivan@example.kz" -> "i***@example.kz" */
export function maskEmail (email: string): string {
  const at = email.lastIndexOf('@')
  if (at < 1) return '***'
  return `${email.slice(0, 1)}***${email.slice(at)}`
}
