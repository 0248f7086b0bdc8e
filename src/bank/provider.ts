/**
 * The bank port (STYLE 11): what the payment flow needs from an acquirer,
 * in our words. `acquirer.ts` speaks the FFIN Payments / Freedom Pay
 * protocol behind it (DESIGN section 5); the sandbox bank is the other side
 * of the same protocol. Money is tiyn here; tenge strings exist only on the wire.
 */
export { BankProtocolError } from './xml.js'

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

export interface BankProvider {
  initPayment (req: InitPaymentRequest): Promise<InitPaymentResult>
  /** null: the bank does not know this payment or order. */
  getStatus (ref: PaymentRef): Promise<PaymentStatusResult | null>
  /**
   * revoke.php: the money goes back to the card it came from; there is no
   * destination parameter at all (offer cl. 5: refunds only to the source account).
   */
  refund (req: { bankPaymentId: string, amount: bigint }): Promise<RefundResult>
}

/** Network error, non-2xx, or an answer we cannot read: nothing is known about the outcome. */
export class BankUnavailableError extends Error {
  readonly code: 'bank_unavailable' | 'bank_timeout' = 'bank_unavailable'

  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'BankUnavailableError'
  }
}

/**
 * The call ran out of time. The bank may still have done it: the caller must
 * treat the outcome as unknown and ask getStatus later, never retry blindly.
 */
export class BankTimeoutError extends BankUnavailableError {
  override readonly code = 'bank_timeout' as const

  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'BankTimeoutError'
  }
}

/** The bank answered pg_status error/rejected: it did not do what we asked. */
export class BankRejectedError extends Error {
  readonly code = 'bank_rejected' as const

  constructor (
    message: string,
    readonly bankErrorCode: string | null,
    readonly bankDescription: string | null
  ) {
    super(message)
    this.name = 'BankRejectedError'
  }
}
