import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

/**
 * DESIGN 17, the Kaspi channel's books.
 *
 * - External refunds: a cancellation made in Kaspi's partner cabinet is not sent by us, only recorded by an operator.
 *   It is a refund of kind `external` carrying Kaspi's reference; the same reference is recorded once per payment.
 *   refunds_within_payment (0007) keeps every kind within what the payment brought in.
 * - Channel registries: Kaspi's daily file of its payments, compared with ours. A registry is kept once per channel,
 *   day and content (its SHA-256): the same file again finds the stored one. Each difference is a row of its own.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`alter table refunds drop constraint refunds_kind_check`.execute(db)
  await sql`
    alter table refunds
      add column reference text,
      add constraint refunds_kind_check check (kind in ('refund', 'return', 'bank_reported', 'external')),
      add constraint refunds_external_reference check (
        (kind = 'external') = (reference is not null) and (reference is null or length(reference) between 1 and 200))`
    .execute(db)
  await sql`create unique index refunds_external_reference_once on refunds (payment_id, reference)
    where kind = 'external'`.execute(db)

  await sql`
    create table channel_registries (
      id uuid primary key,
      channel text not null check (channel in ('kaspi')),
      date date not null,
      file_sha256 text not null check (file_sha256 ~ '^[0-9a-f]{64}$'),
      lines integer not null check (lines >= 0),
      matched integer not null check (matched >= 0),
      missing_here integer not null check (missing_here >= 0),
      missing_there integer not null check (missing_there >= 0),
      amount_mismatches integer not null check (amount_mismatches >= 0),
      created_by_key_id uuid,
      created_at timestamptz not null default now(),
      unique (channel, date, file_sha256)
    )`.execute(db)
  await sql`create index channel_registries_date on channel_registries (channel, date)`.execute(db)

  // missing_here: in the channel's file, not with us (account and theirs, no payment);
  // missing_there: our payment, not in the file (payment and ours); amount_mismatch: both, the sums differ.
  await sql`
    create table channel_registry_differences (
      id bigint generated always as identity primary key,
      registry_id uuid not null references channel_registries (id),
      kind text not null check (kind in ('missing_here', 'missing_there', 'amount_mismatch')),
      txn_id text not null check (length(txn_id) between 1 and 64),
      account text check (length(account) <= 64),
      payment_id uuid,
      ours bigint check (ours > 0),
      theirs bigint check (theirs >= 0),
      flagged boolean not null default false,
      constraint channel_registry_differences_shape check (
        (kind = 'missing_here' and payment_id is null and ours is null and theirs is not null and account is not null)
        or (kind = 'missing_there' and payment_id is not null and ours is not null and theirs is null)
        or (kind = 'amount_mismatch' and payment_id is not null and ours is not null and theirs is not null))
    )`.execute(db)
  await sql`create index channel_registry_differences_registry on channel_registry_differences (registry_id, id)`
    .execute(db)
  // A registry, once compared, is a fact: the service adds registries, it never changes or removes one.
  await sql`revoke update, delete, truncate on channel_registries, channel_registry_differences
    from debt_payments_service`.execute(db)
}
