/**
 * The bank port (a port in our words): what the payment flow needs from an acquirer,
 * in our words. `acquirer.ts` speaks the FFIN Payments / Freedom Pay
 * protocol behind it (docs/bank-protocol.md); the sandbox bank is the other side
 * of the same protocol. Money is tiyn here; tenge strings exist only on the wire.
 */
import type { Language } from '../lib/i18n.js'
import type { CallbackKind, CallbackReplyStatus, IncomingCallback } from './callbacks.js'

export { BankError, BankProtocolError, BankRejectedError, BankTimeoutError, BankUnavailableError } from './errors.js'

export interface InitPaymentRequest {
  /** Our payment's public id (`pay_…`), sent as pg_order_id. */
  orderId: string
  /** Tiyn. */
  amount: bigint
  currency: 'KZT'
  description: string
  lifetimeSeconds: number
  checkUrl: string
  resultUrl: string
  successUrl: string
  failureUrl: string
  /** The card page's language (pg_language); the bank's default (ru) when absent. */
  language?: Language
  userPhone?: string
  userEmail?: string
  userIp?: string
}

export interface InitPaymentResult {
  bankPaymentId: string
  /** The bank's hosted page: the card is typed there and only there (offer cl. 3). */
  redirectUrl: string
}

/**
 * A closed union of what a payment is at the bank. The bank's own words
 * (pg_payment_status plus the refunded amount) map onto it in
 * `payment-status.ts`, where the mapping is documented.
 */
export const BANK_PAYMENT_STATUSES = ['pending', 'succeeded', 'partially_refunded', 'refunded', 'revoked', 'failed'] as const
export type BankPaymentStatus = typeof BANK_PAYMENT_STATUSES[number]

export interface PaymentStatusResult {
  bankPaymentId: string
  orderId: string
  status: BankPaymentStatus
  /** Tiyn. */
  amount: bigint
  currency: string
  /** Tiyn returned to the card so far; 0n when none. */
  refundedAmount: bigint
  /** As the bank masks it, e.g. '4111-11XX-XXXX-1111'. */
  cardMask: string | null
  paidAt: Date | null
  failureCode: string | null
}

export interface RefundResult {
  /** True: the bank took the refund. False: it answered, signed, that it will not. */
  accepted: boolean
  refundId?: string
  description?: string
  /** The bank's pg_error_code when it refused. */
  errorCode?: string
}

export type PaymentRef = { bankPaymentId: string } | { orderId: string }

export type { CallbackEvent, CallbackKind, CallbackReplyStatus, IncomingCallback } from './callbacks.js'

export interface BankProvider {
  initPayment (req: InitPaymentRequest): Promise<InitPaymentResult>
  /** null: the bank does not know this payment or order. */
  getStatus (ref: PaymentRef): Promise<PaymentStatusResult | null>
  /**
   * revoke.php: the money goes back to the card it came from; there is no
   * destination parameter at all (offer cl. 5: refunds only to the source account).
   */
  refund (req: { bankPaymentId: string, amount: bigint }): Promise<RefundResult>
  /** The bank's callback: its raw form, verified and read into an event. */
  readCallback (kind: CallbackKind, form: unknown): IncomingCallback
  /** Our answer to a callback, signed: `<response><pg_status/><pg_description/><pg_salt/><pg_sig/></response>`. */
  callbackReply (kind: CallbackKind, status: CallbackReplyStatus, description: string): string
}
