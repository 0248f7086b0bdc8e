/**
 * The card typed on the sandbox's hosted page. The number lives only in the
 * request that carries it: what leaves this file is the bank-style mask and
 * the brand, never the digits.
 */
import { luhnValid } from '../../lib/card-data.js'

/** Approves; every other valid card is declined, this one explicitly so. */
export const APPROVING_CARD = '4111111111111111'
export const DECLINING_CARD = '4000000000000002'

export interface EnteredCard {
  /** Only for comparing with the test cards; never stored, logged or sent. */
  digits: string
  /** '4111-11XX-XXXX-1111', as the bank masks a card in pg_card_pan. */
  mask: string
  brand: string
}

/** First six and last four digits kept, grouped by four like the bank's pg_card_pan. */
export function maskCard (digits: string): string {
  const masked = digits.slice(0, 6) + 'X'.repeat(Math.max(0, digits.length - 10)) + digits.slice(-4)
  return masked.replace(/(.{4})(?=.)/g, '$1-')
}

/** pg_card_brand's two letters; '' when the sandbox does not recognise the range. */
export function cardBrand (digits: string): string {
  if (digits.startsWith('4')) return 'VI'
  if (/^(5[1-5]|2[2-7])/.test(digits)) return 'MC'
  return ''
}

function expiryValid (text: string, now: Date): boolean {
  const match = /^(0[1-9]|1[0-2])\s*\/\s*(\d{2}|\d{4})$/.exec(text.trim())
  if (match === null) return false
  const year = Number(match[2]) + ((match[2] as string).length === 2 ? 2000 : 0)
  const month = Number(match[1])
  return year * 12 + month >= now.getUTCFullYear() * 12 + now.getUTCMonth() + 1
}

/** The card form read and checked, or the key (pages.json) of the one message the page shows (never the number). */
export function readCard (form: Record<string, string>, now = new Date()): { card: EnteredCard } | { error: string } {
  const digits = (form.card_number ?? '').replace(/[\s-]/g, '')
  if (!/^\d{13,19}$/.test(digits) || !luhnValid(digits)) return { error: 'bank.card.number' }
  if (!expiryValid(form.card_expiry ?? '', now)) return { error: 'bank.card.expiry' }
  const holder = (form.card_holder ?? '').trim()
  if (holder.length === 0 || holder.length > 100) return { error: 'bank.card.holder' }
  if (!/^\d{3,4}$/.test((form.card_cvv ?? '').trim())) return { error: 'bank.card.cvv' }
  return { card: { digits, mask: maskCard(digits), brand: cardBrand(digits) } }
}
