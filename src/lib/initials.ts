// What a partner, an event or a webhook may see of a person (docs/architecture.md, partners, events and
// webhooks): initials only ("Иванов Иван Иванович" -> "И. И. И."), never an email, phone, IP or IIN. Each module
// that owns a name (payments the payer's, debts the debtor's) shows it through these.
import type { PiiCipher } from './crypto.js'
import { ERASED } from './erasure.js'
import { normalizeName } from './names.js'

export function initials (name: string): string | null {
  if (name === ERASED) return null
  const parts = normalizeName(name).split(' ').filter((p) => p !== '')
  if (parts.length === 0) return null
  return parts.map((part) => `${([...part][0] ?? '').toLocaleUpperCase('ru-RU')}.`).join(' ')
}

/** Initials of an encrypted name; null when it cannot be read (a tombstone, a retired key). */
export function initialsOf (pii: PiiCipher, encrypted: string | null | undefined): string | null {
  if (encrypted === null || encrypted === undefined) return null
  try {
    return initials(pii.decrypt(encrypted))
  } catch {
    return null
  }
}
