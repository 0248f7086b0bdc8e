import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

/**
 * docs/architecture.md, partners, events and webhooks: webhook endpoints and the deliveries of events to them
 * (Standard Webhooks). A delivery row and its job are written in the
 * event's transaction, so an event is never lost; every attempt is kept.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    create table webhook_endpoints (
      id uuid primary key,
      owner_key_id uuid references api_keys (id),
      creditors text[],
      url text not null check (length(url) between 1 and 2000),
      description text,
      enabled_events text[] not null check (cardinality(enabled_events) > 0),
      status text not null default 'enabled' check (status in ('enabled', 'disabled')),
      disabled_reason text,
      -- encrypted with the PII cipher: the secret must be read back to sign
      secret_encrypted text not null,
      previous_secret_encrypted text,
      previous_secret_expires_at timestamptz,
      failing_since timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint webhook_endpoints_scope check ((owner_key_id is null) = (creditors is null)),
      constraint webhook_endpoints_previous_secret check ((previous_secret_encrypted is null) = (previous_secret_expires_at is null))
    )`.execute(db)
  await sql`create index webhook_endpoints_enabled on webhook_endpoints (status) where status = 'enabled'`.execute(db)

  await sql`
    create table webhook_deliveries (
      id uuid primary key,
      endpoint_id uuid not null references webhook_endpoints (id) on delete cascade,
      event_id uuid not null references events (id),
      status text not null default 'pending' check (status in ('pending', 'succeeded', 'failed')),
      attempts integer not null default 0 check (attempts >= 0),
      next_attempt_at timestamptz,
      created_at timestamptz not null default now(),
      completed_at timestamptz,
      unique (endpoint_id, event_id)
    )`.execute(db)
  await sql`create index webhook_deliveries_endpoint on webhook_deliveries (endpoint_id, id)`.execute(db)
  await sql`create index webhook_deliveries_event on webhook_deliveries (event_id)`.execute(db)

  await sql`
    create table webhook_attempts (
      id bigint generated always as identity primary key,
      delivery_id uuid not null references webhook_deliveries (id) on delete cascade,
      attempted_at timestamptz not null default now(),
      status_code integer,
      duration_ms integer not null check (duration_ms >= 0),
      error text,
      next_retry_at timestamptz
    )`.execute(db)
  await sql`create index webhook_attempts_delivery on webhook_attempts (delivery_id, id)`.execute(db)
}
