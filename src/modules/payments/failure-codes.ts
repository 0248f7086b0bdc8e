// Why a payment failed, as the API answers it (`failureCode`). The column keeps what was recorded: the bank's
// `pg_failure_code` as sent (docs/bank-protocol.md: only 101 is seen from the live bank; 400, 470 and 600 are the
// Platron/PayBox list the protocol inherited, which the sandbox bank sends), or one of our own words. The answer is a
// closed enum a client can switch on: a code the bank sends that is not listed here is answered `other` (never a
// serialization failure), and the payment's timeline keeps it as sent (its `failed` event).
import { Type } from '@sinclair/typebox'
import { StringEnum } from '../../http/schemas.js'

/** Each code the service answers, with what it means (the OpenAPI description lists them). */
export const FAILURE_CODES = {
  101: 'the bank: the payment\'s lifetime ran out before the payer paid (Freedom Pay, `pg_failure_code`)',
  400: 'the bank: the payer cancelled on the bank\'s payment page',
  470: 'the bank: the card\'s issuer declined the operation',
  600: 'the bank: the merchant (this service\'s check callback) refused the payment',
  declined: 'the bank reported the payment failed without a code',
  expired: 'ours: the payment\'s lifetime passed and the bank never reported it paid',
  bank_unavailable: 'ours: the bank could not be reached, or refused, to start the payment; nothing was charged',
  other: 'another code from the bank; the payment\'s timeline (its `failed` event) keeps the code as sent'
} as const satisfies Record<string, string>

/** The codes as text (`'101'`, `'declined'`): an object's integer keys are strings. */
export type FailureCode = `${keyof typeof FAILURE_CODES}`
const KNOWN = Object.keys(FAILURE_CODES) as FailureCode[]

/** The answer for a stored code: itself when listed, `other` for any other code the bank sent, null for none. */
export function failureCodeOf (stored: string | null): FailureCode | null {
  if (stored === null) return null
  return (KNOWN as readonly string[]).includes(stored) ? stored as FailureCode : 'other'
}

export const FailureCodeSchema = Type.Union([
  StringEnum(KNOWN, {
    description: 'Why the payment failed or expired: ' +
      Object.entries(FAILURE_CODES).map(([code, meaning]) => `\`${code}\` ${meaning}`).join('; ') + '.'
  }),
  Type.Null()
], { description: 'Null unless the payment failed or expired. A code not listed is answered `other`.' })
