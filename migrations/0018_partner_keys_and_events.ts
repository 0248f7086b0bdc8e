import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

/**
 * docs/architecture.md, partners, events and webhooks: a partner key is bound to the creditors it may see
 * (the names as they appear in portfolios), and every fact a partner or the
 * agency's own systems hear of is an event, written in the same transaction
 * as the fact.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`alter table api_keys add column creditors text[] not null default '{}'`.execute(db)
  await sql`
    alter table api_keys add constraint api_keys_partner_creditors check (
      (not ('partner' = any (scopes)) or cardinality(creditors) > 0)
      and ('partner' = any (scopes) or cardinality(creditors) = 0)
      and cardinality(creditors) <= 100)`.execute(db)

  // The outbox of events. `data` is the object as the back office sees it,
  // `partner_data` as a partner sees it; neither holds a payer's personal
  // data beyond initials. `creditor` is whose debt the fact concerns (null:
  // the agency's own, such as a portfolio import, seen by the admin only).
  await sql`
    create table events (
      id uuid primary key,
      type text not null check (type in (
        'payment.succeeded', 'payment.failed', 'payment.expired', 'payment.returned', 'payment.needs_review',
        'refund.succeeded', 'refund.failed', 'refund_request.submitted', 'refund_request.decided',
        'debt.closed', 'debt_import.completed')),
      creditor text,
      data jsonb not null,
      partner_data jsonb,
      created_at timestamptz not null default now(),
      constraint events_partner_view check ((creditor is null) = (partner_data is null))
    )`.execute(db)
  await sql`create index events_creditor on events (creditor, id) where creditor is not null`.execute(db)
  await sql`create index events_type on events (type, id)`.execute(db)
}
