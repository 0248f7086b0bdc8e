import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

/**
 * DESIGN 17: a second channel.
 *
 * - Every debt has a payment code: 10 random digits and a Luhn check digit, unique. The column's default draws it
 *   (a new debt of an import gets one without the import naming it), retrying on the rare code already taken; the
 *   unique index is the last word when two imports draw the same code at once. Existing debts are backfilled.
 * - A payment has a channel, `card` or `kaspi`. A Kaspi payment has Kaspi's transaction id and no acceptance and no
 *   payer data (Kaspi knows its customer, we do not), so those columns allow null for it and only for it.
 * - Kaspi's check/pay answers are kept per transaction id: a repeated `pay` gets the stored answer, byte for byte.
 * - The ledger's `acquirer` account becomes `clearing:card` (kind `clearing`) and `clearing:kaspi` joins it: what
 *   each channel holds for us until it pays out. Renaming touches no line, so every balance and the trial balance
 *   stay as they were.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    create function payment_code_check_digit(digits text) returns text language plpgsql immutable strict as $$
    declare
      total int := 0;
      d int;
      i int;
      n int := length(digits);
    begin
      -- Luhn: from the rightmost payload digit leftwards, every first, third, ... digit is doubled
      for i in 0 .. n - 1 loop
        d := substr(digits, n - i, 1)::int;
        if i % 2 = 0 then
          d := d * 2;
          if d > 9 then d := d - 9; end if;
        end if;
        total := total + d;
      end loop;
      return ((10 - total % 10) % 10)::text;
    end $$`.execute(db)
  await sql`
    create function new_payment_code() returns text language plpgsql volatile as $$
    declare
      payload text;
      code text;
    begin
      loop
        payload := lpad((('x' || substr(md5(gen_random_uuid()::text), 1, 15))::bit(60)::bigint % 10000000000)::text,
          10, '0');
        code := payload || payment_code_check_digit(payload);
        exit when not exists (select 1 from debts where payment_code = code);
      end loop;
      return code;
    end $$`.execute(db)

  await sql`alter table debts add column payment_code text`.execute(db)
  // The unique index first: the function's check for a code already taken is then one index probe, not a scan. The
  // backfill goes in batches of 10,000 debts in id order; within one statement a code drawn twice is not seen by the
  // check (it reads before the statement's own writes) but by the index, and that batch is drawn again.
  await sql`create unique index debts_payment_code on debts (payment_code)`.execute(db)
  await sql`
    do $$
    declare
      last_id uuid := '00000000-0000-0000-0000-000000000000';
      upto uuid;
    begin
      loop
        select id into upto
          from (select id from debts where id > last_id order by id limit 10000) batch order by id desc limit 1;
        exit when upto is null;
        loop
          begin
            update debts set payment_code = new_payment_code() where id > last_id and id <= upto;
            exit;
          exception when unique_violation then
            null;
          end;
        end loop;
        last_id := upto;
      end loop;
    end $$`.execute(db)
  await sql`alter table debts alter column payment_code set default new_payment_code()`.execute(db)
  await sql`alter table debts alter column payment_code set not null`.execute(db)
  await sql`alter table debts add constraint debts_payment_code_format check (payment_code ~ '^[0-9]{11}$')`.execute(db)

  await sql`
    alter table payments
      add column channel text not null default 'card' constraint payments_channel check (channel in ('card', 'kaspi')),
      add column kaspi_txn_id text,
      alter column acceptance_id drop not null,
      alter column ip_index drop not null,
      alter column iin_index drop not null,
      alter column email_index drop not null`.execute(db)
  await sql`
    alter table payments
      add constraint payments_channel_fields check (
        (channel = 'card') = (acceptance_id is not null)
        and (channel = 'kaspi') = (kaspi_txn_id is not null)
        and (channel = 'kaspi' or (ip_index is not null and iin_index is not null and email_index is not null)))`
    .execute(db)
  await sql`create unique index payments_kaspi_txn on payments (kaspi_txn_id) where kaspi_txn_id is not null`
    .execute(db)
  await sql`create index payments_channel_paid on payments (channel, paid_at) where channel <> 'card'`.execute(db)

  // One row per Kaspi transaction id, written in the transaction that credits it: the stored answer is what every
  // repetition of that pay receives.
  // prv_txn_id: our id of the transaction as Kaspi stores it (digits, at most 20), from a sequence of its own
  await sql`create sequence kaspi_prv_txn_id start 1000001`.execute(db)
  await sql`
    create table kaspi_transactions (
      txn_id text primary key check (length(txn_id) between 1 and 64),
      prv_txn_id bigint not null unique default nextval('kaspi_prv_txn_id'),
      account text not null,
      sum bigint not null check (sum > 0),
      txn_date timestamptz,
      payment_id uuid not null unique references payments (id),
      result smallint not null,
      answer text not null,
      created_at timestamptz not null default now()
    )`.execute(db)

  // acquirer -> clearing:card. The guard refuses a change of identity to the service; the owner steps past it once.
  await sql`alter table ledger_accounts drop constraint ledger_accounts_kind_check`.execute(db)
  await sql`alter table ledger_accounts drop constraint ledger_accounts_acquirer_not_negative`.execute(db)
  await sql`alter table ledger_accounts disable trigger ledger_accounts_guard`.execute(db)
  await sql`update ledger_accounts set key = 'clearing:card', kind = 'clearing' where key = 'acquirer'`.execute(db)
  await sql`alter table ledger_accounts enable trigger ledger_accounts_guard`.execute(db)
  await sql`
    alter table ledger_accounts
      add constraint ledger_accounts_kind_check check (kind in ('receivable', 'claims', 'clearing', 'overpaid')),
      add constraint ledger_accounts_clearing_not_negative check (kind <> 'clearing' or balance >= 0)`.execute(db)
  await sql`
    insert into ledger_accounts (key, kind) values ('clearing:card', 'clearing'), ('clearing:kaspi', 'clearing')
    on conflict (key) do nothing`.execute(db)
}
