import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

/**
 * DESIGN 20, webhook tooling.
 * - `webhook.test`: the event `POST …/webhook-endpoints/{id}/test` sends to one endpoint. It is stored like any
 *   event (a delivery names its event, and the worker builds the payload from it) with no creditor, and is never
 *   listed among the business events. The migrations run in one transaction (db/migrator.ts), so the constraint's
 *   exclusive lock on `events` is held while every row is validated and until the migrations commit: not an online
 *   migration (the CHANGELOG says so).
 * - `POST /v1/admin/events/{id}/redeliver` makes a new delivery of an event to an endpoint each time: an endpoint may
 *   now have more than one delivery of the same event (the fan-out in the event's transaction still makes one).
 */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`alter table events drop constraint events_type_check`.execute(db)
  await sql`
    alter table events add constraint events_type_check check (type in (
      'payment.succeeded', 'payment.failed', 'payment.expired', 'payment.returned', 'payment.needs_review',
      'refund.succeeded', 'refund.failed', 'refund_request.submitted', 'refund_request.decided',
      'debt.closed', 'debt_import.completed', 'webhook.test')) not valid`.execute(db)
  await sql`alter table events validate constraint events_type_check`.execute(db)
  await sql`alter table webhook_deliveries drop constraint webhook_deliveries_endpoint_id_event_id_key`.execute(db)
}
