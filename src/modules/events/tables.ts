import type { ColumnType, Generated, Selectable } from 'kysely'

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
type Json = ColumnType<Record<string, unknown>, string, string>
type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>

export const EVENT_TYPES = [
  'payment.succeeded', 'payment.failed', 'payment.expired', 'payment.returned', 'payment.needs_review',
  'refund.succeeded', 'refund.failed', 'refund_request.submitted', 'refund_request.decided',
  'debt.closed', 'debt_import.completed'
] as const
export type EventType = typeof EVENT_TYPES[number]

/**
 * Not a fact: the event `POST …/webhook-endpoints/{id}/test` sends to that one endpoint (migration 0040). Stored
 * with no creditor so that its delivery is like any other; never listed or read as an event of the API.
 */
export const WEBHOOK_TEST_EVENT = 'webhook.test'
export type StoredEventType = EventType | typeof WEBHOOK_TEST_EVENT

/** migrations/0018_partner_keys_and_events.ts */
export interface EventsTable {
  id: string
  type: StoredEventType
  /** Whose debt the fact concerns; null: the agency's own (an import), seen by the admin only. */
  creditor: string | null
  /** The same creditor's id (migration 0033): what partner keys and endpoints are scoped by. */
  creditor_id: string | null
  /** The object as the back office sees it. */
  data: Json
  /** The object as a partner sees it (payer data masked); null when no partner sees it. */
  partner_data: ColumnType<Record<string, unknown> | null, string | null, string | null>
  created_at: Timestamp
}

export type EventRow = Selectable<EventsTable>
/** An event of the API: a fact, not a test. */
export type BusinessEventRow = EventRow & { type: EventType }

export function isBusinessEvent (row: EventRow): row is BusinessEventRow {
  return row.type !== WEBHOOK_TEST_EVENT
}

// --- webhooks: endpoints, and each event's deliveries to them ---------------------

export type EndpointStatus = 'enabled' | 'disabled'
export type DeliveryStatus = 'pending' | 'succeeded' | 'failed'

/** migrations/0019_webhooks.ts */
export interface WebhookEndpointsTable {
  id: string
  /** The partner key that registered it; null: the agency's own systems (every creditor). */
  owner_key_id: string | null
  /** The creditor ids whose events it receives (migration 0033); null: all, with the agency's own events. */
  creditors: string[] | null
  url: string
  description: Nullable<string>
  enabled_events: string[]
  status: ColumnType<EndpointStatus, EndpointStatus | undefined, EndpointStatus>
  disabled_reason: Nullable<string>
  secret_encrypted: string
  previous_secret_encrypted: Nullable<string>
  previous_secret_expires_at: Nullable<Date>
  /** The first failure of the current run of failures; cleared by a success. */
  failing_since: Nullable<Date>
  created_at: Timestamp
  updated_at: Timestamp
}

export interface WebhookDeliveriesTable {
  id: string
  endpoint_id: string
  event_id: string
  status: ColumnType<DeliveryStatus, DeliveryStatus | undefined, DeliveryStatus>
  attempts: ColumnType<number, number | undefined, number>
  next_attempt_at: Nullable<Date>
  created_at: Timestamp
  completed_at: Nullable<Date>
}

export interface WebhookAttemptsTable {
  id: Generated<bigint>
  delivery_id: string
  attempted_at: Timestamp
  status_code: Nullable<number>
  duration_ms: number
  error: Nullable<string>
  next_retry_at: Nullable<Date>
}

export type EndpointRow = Selectable<WebhookEndpointsTable>

export type DeliveryRow = Selectable<WebhookDeliveriesTable>

export type AttemptRow = Selectable<WebhookAttemptsTable>

/** The outbox: the events, and their deliveries to the webhook endpoints. */
export interface EventsTables {
  events: EventsTable
  webhook_endpoints: WebhookEndpointsTable
  webhook_deliveries: WebhookDeliveriesTable
  webhook_attempts: WebhookAttemptsTable
}
