import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

/**
 * DESIGN 18, settlement: the acquirers' payouts booked against what each channel holds for us.
 *
 * - The ledger gets the agency's `bank` account (debit-normal: money on the agency's own account) and the
 *   acquirers' fees, `fees:card` and `fees:kaspi` (kind `fees`, debit-normal: an expense). A payout is one
 *   `settlement` entry: clearing:<channel> -gross, bank +net, fees:<channel> +fee.
 * - A payout spans many debts, so a settlement entry names no debt: debt_id is null for that kind and only for
 *   it. Every per-debt reading filters on debt_id, so none of them sees a settlement; the statement checks of
 *   0024 already pass a null debt_id (a reference to nothing is checked only when there is one).
 * - settlements: one row per channel and payout id, with the answer the upload got (its unmatched lines kept as
 *   JSON); payment_settlements: one row per settled payment, its primary key the payment, so a payment is settled
 *   at most once however many uploads race.
 * - payments.settled_at mirrors the payment's settlement, so the payments still waiting for theirs are one small
 *   partial index: the overdue sweep costs the unsettled window, not the table.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`alter table ledger_accounts drop constraint ledger_accounts_kind_check`.execute(db)
  await sql`
    alter table ledger_accounts add constraint ledger_accounts_kind_check
      check (kind in ('receivable', 'claims', 'clearing', 'overpaid', 'bank', 'fees'))`.execute(db)
  await sql`
    insert into ledger_accounts (key, kind) values ('bank', 'bank'), ('fees:card', 'fees'), ('fees:kaspi', 'fees')
    on conflict (key) do nothing`.execute(db)

  await sql`alter table ledger_entries drop constraint ledger_entries_kind_check`.execute(db)
  await sql`alter table ledger_entries drop constraint ledger_entries_reference_type_check`.execute(db)
  await sql`
    alter table ledger_entries
      alter column debt_id drop not null,
      add constraint ledger_entries_kind_check check (kind in ('claim_assigned', 'claim_adjusted', 'claim_recalled',
        'payment_received', 'refund_paid', 'payment_returned', 'settlement')),
      add constraint ledger_entries_reference_type_check
        check (reference_type in ('debt', 'import', 'payment', 'refund', 'settlement')),
      add constraint ledger_entries_debt check ((kind = 'settlement') = (debt_id is null))`.execute(db)

  await sql`
    create table settlements (
      id uuid primary key,
      channel text not null check (channel in ('card', 'kaspi')),
      payout_id text not null check (length(payout_id) between 1 and 64),
      payout_date date not null,
      file_sha256 text not null check (file_sha256 ~ '^[0-9a-f]{64}$'),
      lines integer not null check (lines > 0),
      matched integer not null check (matched >= 0 and matched <= lines),
      gross bigint not null check (gross >= 0),
      fees bigint not null check (fees >= 0 and fees <= gross),
      net bigint not null,
      unmatched jsonb not null,
      entry_id uuid,
      created_by_key_id uuid,
      created_at timestamptz not null default now(),
      constraint settlements_net check (net = gross - fees),
      constraint settlements_payout_once unique (channel, payout_id)
    )`.execute(db)
  await sql`
    create table payment_settlements (
      payment_id uuid primary key references payments (id),
      settlement_id uuid not null references settlements (id),
      line integer not null check (line > 0),
      amount bigint not null check (amount > 0),
      fee bigint not null check (fee >= 0 and fee <= amount)
    )`.execute(db)
  await sql`create index payment_settlements_settlement on payment_settlements (settlement_id)`.execute(db)
  // A settlement, once booked, is a fact: the service adds settlements, it never changes or removes one.
  await sql`revoke update, delete, truncate on settlements, payment_settlements from debt_payments_service`.execute(db)

  await sql`alter table payments add column settled_at timestamptz`.execute(db)
  await sql`
    create index payments_unsettled on payments (channel, id) include (paid_at)
     where status = 'succeeded' and settled_at is null`.execute(db)
}
