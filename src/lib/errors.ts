// Domain errors (STYLE 22): a module refuses with a stable code, a detail for the client and the facts of the
// refusal; it never names an HTTP status or header. The HTTP edge (src/http/problem-codes.ts, src/http/errors.ts) maps
// each code to its status, title and problem document, in one table the compiler holds to the list below.

/**
 * Every code a module may refuse with, each a stable snake_case string of the API. The HTTP edge's own refusals
 * (malformed JSON, schema validation, Idempotency-Key, API keys, a route not found) are not here: only it makes them.
 */
export const DOMAIN_ERROR_CODES = [
  // shared with the edge: a wrong metrics token, too many requests, a portfolio too large or wrongly coded, no database
  'unauthenticated', 'rate_limited', 'payload_too_large', 'unsupported_media_type', 'database_unavailable',
  'migrations_pending',
  // offer, debts, acceptances
  'offer_not_found', 'offer_outdated', 'debt_not_found', 'invalid_iin', 'consent_required', 'invalid_email',
  'invalid_phone', 'invalid_full_name', 'debt_import_not_found', 'import_busy', 'debt_status_follows_outstanding',
  'invalid_csv_header', 'invalid_csv',
  // payments
  'acceptance_not_found', 'acceptance_expired', 'consent_withdrawn', 'debt_not_payable', 'amount_below_minimum',
  'amount_exceeds_outstanding', 'return_url_not_allowed', 'payment_refused', 'bank_unavailable', 'payment_not_found',
  'receipt_not_available',
  // refunds and returns
  'payment_not_refundable', 'refund_request_already_open', 'amount_exceeds_refundable', 'refund_request_not_found',
  'refund_request_already_decided', 'payment_not_returnable', 'refund_not_found', 'refund_not_failed',
  'payment_not_external', 'external_refund_already_recorded',
  // channels
  'channel_registry_not_found',
  // settlements
  'settlement_not_found', 'settlement_exceeds_clearing',
  // personal data
  'privacy_request_not_found', 'invalid_verification_code', 'verification_expired', 'confirmation_not_available',
  // back office and partners
  'api_key_not_found', 'partner_creditors_required', 'partner_scope_exclusive', 'creditors_need_partner_scope',
  'invalid_date', 'invalid_date_range', 'report_too_large', 'non_working_day_not_found', 'working_day_not_weekend', 'event_not_found',
  'webhook_endpoint_not_found', 'webhook_delivery_not_found', 'webhook_endpoint_disabled', 'webhook_url_not_allowed',
  'webhook_endpoint_not_subscribed',
  // creditors
  'creditor_exists', 'creditor_not_found', 'unknown_creditor', 'invalid_bin', 'invalid_agreement',
  'invalid_creditor_name',
  // remittances and statements
  'remittance_exceeds_payable', 'remittance_already_recorded', 'statement_creditor_required',
  // payment links
  'payment_link_not_found', 'amount_differs_from_link', 'invalid_debt_reference', 'invalid_expiry',
  'debts_not_linkable',
  // the sandboxes (outside the API document)
  'kaspi_channel_unavailable'
] as const

export type DomainErrorCode = (typeof DOMAIN_ERROR_CODES)[number]

/** One offending input: where (`body.amount`) and what is wrong with it. */
export interface FieldError { path: string, message: string }

/**
 * What the client is told besides the detail, each a field of the problem document in this order (`attemptsLeft`,
 * `currentVersion`, a payment's id...). `retryAfterSeconds`: when to ask again (the edge sends it as Retry-After too).
 */
export interface DomainFacts {
  retryAfterSeconds?: number
  [fact: string]: unknown
}

export class DomainError extends Error {
  readonly facts: DomainFacts
  readonly errors: FieldError[] | undefined

  constructor (
    readonly code: DomainErrorCode,
    /** What the client reads: never internals (a row, an SQL text, a stack). */
    detail: string,
    options: { facts?: DomainFacts, errors?: FieldError[] } = {}
  ) {
    super(detail)
    this.name = 'DomainError'
    this.facts = options.facts ?? {}
    this.errors = options.errors
  }
}

/** What a client is told to wait while the database is unreachable. */
export const DATABASE_RETRY_AFTER_SECONDS = 5

export function databaseUnavailable (): DomainError {
  return new DomainError('database_unavailable', 'The database cannot be reached right now; retry shortly', {
    facts: { retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS }
  })
}
