// Every blind-index recipe in one place. A blind index is an HMAC-SHA256 of a normalised value under the index key
// (lib/crypto.ts), so equality lookups never need the plaintext. Each recipe prefixes its kind, so equal text of two
// kinds (an email and an IP) never gives the same index. Changing a prefix breaks every stored index of that kind.
import { CURRENCY } from './money.js'
import type { PiiCipher } from './crypto.js'

/** A normalised email (lib/email.ts): acceptances, payments, refund requests, privacy requests, the mail outbox. */
export function emailIndex (pii: PiiCipher, email: string): string {
  return pii.blindIndex(`email:${email}`)
}

/** A payer's phone in E.164 (lib/phone.ts, `+77012345678`): payments (the back office's search). */
export function phoneIndex (pii: PiiCipher, e164: string): string {
  return pii.blindIndex(`phone:${e164}`)
}

/** A client address: acceptances and payments (the risk rules count per address). */
export function ipIndex (pii: PiiCipher, ip: string): string {
  return pii.blindIndex(`ip:${ip}`)
}

/** A debtor's IIN: with the normalised contract number, the key a debt is known by. */
export function iinIndex (pii: PiiCipher, iin: string): string {
  return pii.blindIndex(`iin:${iin}`)
}

/** A normalised contract number: the key of its lookup-failure counter. */
export function lookupContractKey (pii: PiiCipher, contractNumber: string): string {
  return pii.blindIndex(`lookup-contract:${contractNumber}`)
}

/** A privacy request's one-time code, bound to its request: a database dump does not reveal it. */
export function privacyCodeHash (pii: PiiCipher, requestId: string, code: string): string {
  return pii.blindIndex(`privacy-code:${requestId}:${code}`)
}

/**
 * HMAC of a portfolio row as the creditor sent it: a re-import of the same row
 * changes nothing, even after payments.
 */
export function debtRowSourceHash (
  pii: PiiCipher,
  row: { contractNumber: string, iin: string, debtorName: string, creditor: string, claim: string }
): string {
  return pii.blindIndex(`debt-row:${JSON.stringify([row.contractNumber, row.iin, row.debtorName, row.creditor, row.claim, CURRENCY])}`)
}
