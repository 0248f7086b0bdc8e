import { Type, type TSchema } from '@sinclair/typebox'
import type { DomainErrorCode } from '../lib/errors.js'

const RetryAfter = { retryAfterSeconds: Type.Integer({ minimum: 1, description: 'As the Retry-After header' }) }

/**
 * Every problem code the service answers with: its HTTP status and an example of the problem document (the detail a
 * client sees, and the extra fields some codes add). The one place a code gets its status: a module's DomainError
 * (src/lib/errors.ts) carries a code only, and the compiler refuses a domain code missing here. The route schemas
 * declare, per operation and status, which of these codes it can return (`problemResponses` in ./schemas.ts), and
 * the OpenAPI document gets them as an `enum` on `code` with one of these examples, and the fields some codes add
 * (`fields`, optional in the document). The types below make the compiler refuse a code declared under another status.
 * test/openapi-codes.test.ts checks that every code a module throws is documented by that module's operations.
 */
export const PROBLEM_CODES = {
  // the platform's: strict validation, body and path limits, rate limits, the database, faults
  validation_failed: { status: 400, detail: 'The request does not match the schema', extra: { errors: [{ path: 'body.amount', message: 'must be integer' }] } },
  malformed_json: { status: 400, detail: 'The body is not valid JSON' },
  bad_request: { status: 400, detail: 'The request could not be processed' },
  bad_url: { status: 400, detail: 'The URL is not well-formed' },
  card_data_forbidden: { status: 400, detail: 'The request contains what looks like a card number. Card details are entered on the bank\'s page only, never sent to this API.' },
  idempotency_key_required: { status: 400, detail: 'This operation needs an Idempotency-Key header: a new unique value (a UUID) per operation' },
  invalid_idempotency_key: { status: 400, detail: 'The Idempotency-Key must be 1-255 printable ASCII characters' },
  unauthenticated: { status: 401, detail: 'Unknown or revoked API key' },
  forbidden: { status: 403, detail: 'This operation needs one of the scopes: operator, admin' },
  payment_refused: { status: 403, detail: 'The agency cannot accept this payment now (offer cl. 8). Contact support if you believe this is a mistake.', extra: { reason: 'too_many_payments_ip' }, fields: { reason: Type.String({ description: 'The risk rule that refused it' }) } },
  route_not_found: { status: 404, detail: 'No route GET /v1/nothing-here' },
  request_timeout: { status: 408, detail: 'The request body did not arrive in time' },
  payload_too_large: { status: 413, detail: 'The request body is larger than allowed' },
  uri_too_long: { status: 414, detail: 'A path parameter is longer than allowed' },
  not_acceptable: { status: 406, detail: 'Accept names none of the types offered here: application/json, text/csv, ' +
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
  unsupported_media_type: { status: 415, detail: 'This Content-Type is not accepted here' },
  idempotency_key_reused: { status: 422, detail: 'This Idempotency-Key was used for a different request (method, path or body); use a new key for a new operation' },
  idempotency_key_in_use: { status: 409, detail: 'A request with this Idempotency-Key is still being processed; retry shortly' },
  rate_limited: {
    status: 429,
    detail: 'Too many requests: at most 10 per 1 minute; retry in 42 s',
    extra: { retryAfterSeconds: 42, limit: 10, windowSeconds: 60 },
    fields: {
      ...RetryAfter,
      limit: Type.Integer({ minimum: 1, description: 'How many requests the window allows (per IP, IPv6 per /64, or per email)' }),
      windowSeconds: Type.Integer({ minimum: 1, description: 'The limit\'s window, which the detail names: 60 (a minute) on most routes, 3600 (an hour) on privacy requests' })
    }
  },
  headers_too_large: { status: 431, detail: 'The request headers are larger than allowed' },
  unsupported_transfer_encoding: { status: 501, detail: 'Transfer-Encoding may only be chunked' },
  internal_error: { status: 500, detail: 'Something went wrong on our side; the request id helps support find it' },
  database_unavailable: { status: 503, detail: 'The database cannot be reached right now; retry shortly', extra: { retryAfterSeconds: 5 }, fields: RetryAfter },
  migrations_pending: { status: 503, detail: '1 migration(s) not applied yet', extra: { retryAfterSeconds: 5 }, fields: RetryAfter },

  // offer, debts, acceptances
  offer_not_found: { status: 404, detail: 'No offer version 7 in language ru' },
  offer_outdated: { status: 409, detail: 'The offer has changed since it was read: show the current version and ask again', extra: { currentVersion: 2, currentSha256: '9f2c4a0e6b1d8c7f3a5e2b9d0c4f6a8e1b3d5f7a9c0e2b4d6f8a1c3e5b7d9f0a' }, fields: { currentVersion: Type.Union([Type.Integer(), Type.Null()], { description: 'The current offer version (null: none published in that language)' }), currentSha256: Type.Union([Type.String(), Type.Null()]) } },
  debt_not_found: { status: 404, detail: 'No payable debt matches this contract number and IIN' },
  invalid_iin: { status: 422, detail: 'The IIN is not valid: 12 digits with a correct check digit', extra: { errors: [{ path: 'body.iin', message: 'invalid (checksum)' }] } },
  consent_required: { status: 422, detail: 'Consent to the processing of personal data is required to accept the offer (offer cl. 14)', extra: { errors: [{ path: 'body.personalDataConsent', message: 'must be true' }] } },
  invalid_email: { status: 422, detail: 'The email address is not valid', extra: { errors: [{ path: 'body.payer.email', message: 'not a valid email address' }] } },
  invalid_phone: { status: 422, detail: 'The phone number is not valid: a Kazakhstan number has 10 digits after +7', extra: { errors: [{ path: 'body.payer.phone', message: 'a Kazakhstan number has 10 digits after +7' }] } },
  invalid_full_name: { status: 422, detail: 'The full name is empty', extra: { errors: [{ path: 'body.payer.fullName', message: 'must not be blank' }] } },
  debt_import_not_found: { status: 404, detail: 'No debt import with this id' },
  import_busy: {
    status: 429,
    detail: 'At most 2 imports run at once on this server; retry when one has finished',
    extra: { retryAfterSeconds: 30 },
    fields: RetryAfter
  },
  debt_status_follows_outstanding: { status: 409, detail: 'The status follows the outstanding amount: this debt is active with 150000 tiyn outstanding' },
  invalid_csv_header: { status: 422, detail: 'The header row is not usable: missing column outstanding. Expected: contract_number,debtor_iin,debtor_name,creditor,outstanding[,currency]' },
  invalid_csv: { status: 422, detail: 'The file is not valid CSV: Unclosed quote on line 12' },

  // payments
  acceptance_not_found: { status: 422, detail: 'No acceptance of the offer with this id: accept the offer first', extra: { errors: [{ path: 'body.acceptanceId', message: 'unknown' }] } },
  acceptance_expired: { status: 422, detail: 'This acceptance is older than 24 hours: read and accept the current offer again' },
  consent_withdrawn: { status: 422, detail: 'Consent to the processing of personal data was withdrawn: accept the offer again to pay' },
  debt_not_payable: { status: 422, detail: 'This debt can no longer be paid (settled or recalled)' },
  amount_below_minimum: {
    status: 422,
    detail: 'The minimum payment is 10000 tiyn',
    extra: { minimumAmount: 10000, errors: [{ path: 'body.amount', message: 'must be at least 10000' }] },
    fields: { minimumAmount: Type.Integer({ minimum: 1, description: 'The smallest payment, in tiyn (PAYMENT_MIN_AMOUNT)' }) }
  },
  amount_exceeds_outstanding: { status: 422, detail: 'The amount is more than the outstanding balance', extra: { errors: [{ path: 'body.amount', message: 'must be at most 150000' }] } },
  return_url_not_allowed: { status: 422, detail: 'The return URL\'s host is not allowed; allowed: www.explus.kz, localhost, 127.0.0.1', extra: { errors: [{ path: 'body.returnUrl', message: 'host not allowed' }] } },
  bank_unavailable: {
    status: 502,
    detail: 'The bank did not answer in time; the payment stays pending and will be reconciled. Check its status before paying again.',
    extra: { paymentId: 'pay_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', paymentStatus: 'pending', clientSecret: 'pay_0193b3f2a4c07d1e8b5a2f6c9d0e1f23_secret_Zk3t0Qd9mWc2Xy7LbN4pR8sVa1Eu6HjK' },
    fields: {
      paymentId: Type.String({ description: 'The payment, created before the bank was asked' }),
      paymentStatus: Type.Unsafe<'pending' | 'failed'>({ type: 'string', enum: ['pending', 'failed'], description: '`pending`: the bank did not answer in time, the payment is reconciled; `failed`: nothing was charged' }),
      clientSecret: Type.String({ description: 'As in a 201: the key to the receipt should the payment succeed' })
    }
  },
  payment_not_found: { status: 404, detail: 'No payment with this id' },
  receipt_not_available: { status: 409, detail: 'A receipt exists only for a paid payment; this one is pending' },

  // refunds and returns
  payment_not_refundable: { status: 409, detail: 'Only a succeeded payment can be refunded; this one is failed' },
  refund_request_already_open: { status: 409, detail: 'A refund request for this payment is already being handled' },
  amount_exceeds_refundable: { status: 422, detail: 'The amount is more than can still be refunded', extra: { errors: [{ path: 'body.amount', message: 'must be at most 50000' }] } },
  refund_request_not_found: { status: 404, detail: 'No refund request with this id' },
  refund_request_already_decided: { status: 409, detail: 'This request was already approved' },
  payment_not_returnable: { status: 409, detail: 'A return of this payment is already under way' },
  refund_not_found: { status: 404, detail: 'No refund with this id' },
  refund_not_failed: { status: 409, detail: 'Only a failed or needs_review refund can be retried; this one is pending' },
  payment_not_external: { status: 409, detail: 'A card payment is refunded through the bank (a refund request, or POST /v1/admin/payments/{id}/return), never recorded as made elsewhere' },
  external_refund_already_recorded: { status: 409, detail: 'A refund with the reference "KASPI-RET-20261125-000183" is already recorded for this payment' },

  // channels
  channel_registry_not_found: { status: 404, detail: 'No channel registry with this id' },

  // settlements
  settlement_not_found: { status: 404, detail: 'No settlement with this id' },
  settlement_exceeds_clearing: {
    status: 409, detail: 'The payout\'s matched gross is more than the channel\'s clearing account holds'
  },

  // remittances and statements
  remittance_already_recorded: {
    status: 409, detail: 'A remittance with the reference "PP-2026-12-07-0042" is already recorded for this creditor'
  },
  remittance_exceeds_payable: {
    status: 422,
    detail: 'The remittance (500000 tiyn) is more than the agency owes this creditor (120000 tiyn); nothing was booked',
    extra: { payable: 120000 }, fields: { payable: Type.Integer({ minimum: 0, description: 'What is owed now, tiyn' }) }
  },
  statement_creditor_required: {
    status: 422,
    detail: 'This key is bound to several creditors: name one with `creditorId`',
    extra: { errors: [{ path: 'querystring.creditorId', message: 'required: the key has several creditors' }] }
  },

  // personal data
  privacy_request_not_found: { status: 404, detail: 'No privacy request with this id' },
  invalid_verification_code: { status: 422, detail: 'The code is not the one emailed: 4 tries left', extra: { attemptsLeft: 4 }, fields: { attemptsLeft: Type.Integer({ minimum: 0 }) } },
  verification_expired: { status: 422, detail: 'The code is no longer valid (5 wrong codes or 30 minutes): make a new request' },
  confirmation_not_available: { status: 409, detail: 'The personal data is not destroyed yet (status received); the confirmation is issued once it is, by 2026-12-30T18:59:59.999Z' },

  // back office and partners
  api_key_not_found: { status: 404, detail: 'No API key with this id' },
  creditor_exists: { status: 409, detail: 'Another creditor already has this name or alias: ао банк центркредит' },
  creditor_not_found: { status: 422, detail: 'No creditor has this name, alias or id: АО Банк', extra: { errors: [{ path: 'body.creditors', message: 'matches no creditor' }] } },
  invalid_creditor_name: { status: 422, detail: 'A name or alias is only quotes and spaces', extra: { errors: [{ path: 'body.name', message: 'must hold a letter or digit' }] } },
  unknown_creditor: { status: 404, detail: 'No creditor with this id' },
  invalid_bin: { status: 422, detail: 'The BIN\'s check digit is wrong', extra: { errors: [{ path: 'body.bin', message: 'not a valid BIN (check digit)' }] } },
  invalid_agreement: { status: 422, detail: 'Under assignment the agency takes no commission', extra: { errors: [{ path: 'body.agreement.commissionBps', message: 'must be 0 under assignment' }] } },
  partner_creditors_required: { status: 422, detail: 'A partner key must be bound to at least one creditor: `creditors`, the names as they appear in portfolios', extra: { errors: [{ path: 'body.creditors', message: 'at least one creditor is required with the partner scope' }] } },
  partner_scope_exclusive: {
    status: 422,
    detail: 'A partner key has the partner scope alone: make another key for operator or admin work',
    extra: { errors: [{ path: 'body.scopes', message: 'partner cannot be combined with another scope' }] }
  },
  creditors_need_partner_scope: { status: 422, detail: 'Only a partner key is bound to creditors', extra: { errors: [{ path: 'body.creditors', message: 'allowed only with the partner scope' }] } },
  invalid_date: { status: 422, detail: 'The date must be a real calendar day, YYYY-MM-DD', extra: { errors: [{ path: 'querystring.date', message: 'not a calendar day' }] } },
  invalid_date_range: {
    status: 422,
    detail: 'A report covers `from` to `to`, both Asia/Almaty days, from <= to, at most 366 days, and not with `date`',
    extra: { errors: [{ path: 'querystring.to', message: 'more than 366 days after from' }] }
  },
  report_too_large: {
    status: 422,
    detail: 'The report would hold more than 100000 lines: narrow the date range (or the creditor)',
    extra: { maxLines: 100000 },
    fields: { maxLines: Type.Integer({ minimum: 1, description: 'The most lines a report holds (REPORT_MAX_LINES)' }) }
  },
  non_working_day_not_found: { status: 404, detail: '2026-03-09 is not in the calendar of non-working days' },
  working_day_not_weekend: { status: 422, detail: '2026-03-10 is a weekday, already a working day; kind \'working\' is for a Saturday or Sunday a decree made a working day' },
  event_not_found: { status: 404, detail: 'No event with this id' },
  webhook_endpoint_not_found: { status: 404, detail: 'No webhook endpoint with this id' },
  webhook_delivery_not_found: { status: 404, detail: 'No delivery with this id at this endpoint' },
  webhook_endpoint_disabled: { status: 409, detail: 'The endpoint is disabled: enable it first (PATCH status: enabled)' },
  webhook_url_not_allowed: { status: 422, detail: 'This webhook URL is not allowed: it must be https', extra: { errors: [{ path: 'body.url', message: 'it must be https' }] } },
  webhook_endpoint_not_subscribed: { status: 422, detail: 'The endpoint does not receive payment.succeeded events of this creditor', extra: { errors: [{ path: 'body.endpointId', message: 'does not receive this event' }] } },

  // payment links
  payment_link_not_found: { status: 404, detail: 'No active payment link with this token' },
  amount_differs_from_link: {
    status: 422,
    detail: 'The payment link fixes the amount at 5000000 tiyn',
    extra: { linkAmount: 5000000, errors: [{ path: 'body.amount', message: 'must be 5000000' }] },
    fields: { linkAmount: Type.Integer({ minimum: 1, description: 'The amount the link fixes, in tiyn' }) }
  },
  invalid_debt_reference: {
    status: 422,
    detail: 'Name the debt once: either debtId (from the lookup) or paymentLinkToken (from a letter)',
    extra: { errors: [{ path: 'body.paymentLinkToken', message: 'give exactly one of debtId and paymentLinkToken' }] }
  },
  invalid_expiry: {
    status: 422,
    detail: 'A link expires in the future, at most 365 days from now',
    extra: { errors: [{ path: 'body.expiresAt', message: 'must be in the future, at most 365 days ahead' }] }
  },
  debts_not_linkable: {
    status: 422,
    detail: '1 of the debts are unknown or no longer payable: no link was made',
    extra: {
      debtIds: ['debt_0193b3f2a4c07d1e8b5a2f6c9d0e1f23'],
      errors: [{ path: 'body.debtIds.3', message: 'not payable (closed)' }]
    },
    fields: { debtIds: Type.Array(Type.String(), { description: 'The debts that cannot have a link, as sent' }) }
  },

  // the sandboxes (outside the API document)
  kaspi_channel_unavailable: {
    status: 502,
    detail: 'The Kaspi sandbox got no protocol answer from http://127.0.0.1:3000/v1/channels/kaspi (HTTP 403: is ' +
      'this address in KASPI_ALLOWED_IPS?)'
  }
} as const satisfies Record<string, ProblemDefinition> & Record<DomainErrorCode, ProblemDefinition>

interface ProblemDefinition {
  status: number
  detail: string
  extra?: Record<string, unknown>
  fields?: Record<string, TSchema>
}

export type ProblemCode = keyof typeof PROBLEM_CODES
export type ProblemStatus = (typeof PROBLEM_CODES)[ProblemCode]['status']
/** The codes answered with this status. */
export type ProblemCodeOf<S extends number> = { [C in ProblemCode]: (typeof PROBLEM_CODES)[C]['status'] extends S ? C : never }[ProblemCode]

/** The title every problem of this status carries (a DomainError's, and as the AppError classes set it). */
export const PROBLEM_TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthenticated',
  403: 'Forbidden',
  404: 'Not found',
  408: 'Request timeout',
  409: 'Conflict',
  413: 'Payload too large',
  414: 'URI too long',
  415: 'Unsupported media type',
  422: 'Unprocessable content',
  429: 'Too many requests',
  431: 'Request header fields too large',
  500: 'Internal server error',
  501: 'Not implemented',
  502: 'Bad gateway',
  503: 'Service unavailable'
}
