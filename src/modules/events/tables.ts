import type { ColumnType, Selectable } from 'kysely'

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
type Json = ColumnType<Record<string, unknown>, string, string>

export const EVENT_TYPES = [
  'payment.succeeded', 'payment.failed', 'payment.expired', 'payment.returned', 'payment.needs_review',
  'refund.succeeded', 'refund.failed', 'refund_request.submitted', 'refund_request.decided',
  'debt.closed', 'debt_import.completed'
] as const
export type EventType = typeof EVENT_TYPES[number]

/** migrations/0018_partner_keys_and_events.ts */
export interface EventsTable {
  id: string
  type: EventType
  /** Whose debt the fact concerns; null: the agency's own (an import), seen by the admin only. */
  creditor: string | null
  /** The object as the back office sees it. */
  data: Json
  /** The object as a partner sees it (payer data masked); null when no partner sees it. */
  partner_data: ColumnType<Record<string, unknown> | null, string | null, string | null>
  created_at: Timestamp
}

export type EventRow = Selectable<EventsTable>

export interface EventsTables { events: EventsTable }
