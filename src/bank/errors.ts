// What can go wrong talking to the bank, one class per kind under one base (as stripe-node's errors): a caller
// that only needs "the bank call failed" catches BankError; one that must tell an unknown outcome from a refusal
// (docs/bank-protocol.md: a timeout is not a refusal) looks at the subclass or its `code`.
export abstract class BankError extends Error {
  abstract readonly code: string
}

/** Network error, non-2xx, or an answer we cannot read: nothing is known about the outcome. */
export class BankUnavailableError extends BankError {
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
export class BankRejectedError extends BankError {
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

/** The answer is not the protocol's: malformed XML, a DOCTYPE, a bad signature on a signed answer. */
export class BankProtocolError extends BankError {
  readonly code = 'bank_protocol_error'

  constructor (message: string) {
    super(message)
    this.name = 'BankProtocolError'
  }
}
