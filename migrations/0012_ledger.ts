import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

/**
 * The ledger: every movement of money or of a claim is an immutable
 * double-entry journal entry, and account balances are materialised from
 * its lines in the same transaction (docs/ledger.md).
 *
 * Sign convention: amounts are debit-positive. receivable and acquirer are
 * debit-normal (their balances are >= 0: what the debtor owes, what the bank
 * holds for us); claims and overpaid are credit-normal (an overpaid balance
 * is <= 0: what we owe a payer back). The lines of an entry sum to zero, so
 * all balances together sum to zero.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    create table ledger_accounts (
      id uuid primary key default gen_random_uuid(),
      key text not null unique,
      kind text not null check (kind in ('receivable', 'claims', 'acquirer', 'overpaid')),
      currency text not null default 'KZT' check (currency = 'KZT'),
      debt_id uuid references debts (id),
      payment_id uuid unique references payments (id),
      creditor text,
      balance bigint not null default 0,
      created_at timestamptz not null default now(),
      constraint ledger_accounts_owner check (
        (kind in ('receivable', 'overpaid')) = (debt_id is not null)
        and (kind = 'overpaid') = (payment_id is not null)
        and (kind = 'claims') = (creditor is not null)),
      constraint ledger_accounts_receivable_not_negative check (kind <> 'receivable' or balance >= 0),
      constraint ledger_accounts_acquirer_not_negative check (kind <> 'acquirer' or balance >= 0),
      constraint ledger_accounts_overpaid_not_positive check (kind <> 'overpaid' or balance <= 0)
    )`.execute(db)
  await sql`create unique index ledger_accounts_receivable on ledger_accounts (debt_id) where kind = 'receivable'`.execute(db)
  await sql`create index ledger_accounts_overpaid_debt on ledger_accounts (debt_id) where kind = 'overpaid'`.execute(db)

  // Every entry concerns one debt (and, for money, one payment), so a debt's
  // history is one index range.
  await sql`
    create table ledger_entries (
      id uuid primary key,
      kind text not null check (kind in ('claim_assigned', 'claim_adjusted', 'claim_recalled', 'payment_received', 'refund_paid', 'payment_returned')),
      debt_id uuid not null references debts (id),
      payment_id uuid references payments (id),
      reference_type text not null check (reference_type in ('debt', 'import', 'payment', 'refund')),
      reference_id uuid not null,
      created_at timestamptz not null default now(),
      created_txid xid8 not null
    )`.execute(db)
  await sql`create index ledger_entries_debt on ledger_entries (debt_id, created_at, id)`.execute(db)
  await sql`create index ledger_entries_payment on ledger_entries (payment_id) where payment_id is not null`.execute(db)

  await sql`
    create table ledger_lines (
      entry_id uuid not null references ledger_entries (id),
      account_id uuid not null references ledger_accounts (id),
      amount bigint not null check (amount <> 0),
      primary key (entry_id, account_id)
    )`.execute(db)
  await sql`create index ledger_lines_account on ledger_lines (account_id)`.execute(db)

  // Append-only: entries and lines are never updated, deleted or truncated.
  await sql`
    create function ledger_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'ledger % is append-only: % refused', tg_table_name, tg_op using errcode = 'P0001', hint = 'post a correcting entry';
    end $$`.execute(db)
  for (const table of ['ledger_entries', 'ledger_lines']) {
    await sql`create trigger ${sql.raw(`${table}_no_change`)} before update or delete on ${sql.table(table)} for each row execute function ledger_append_only()`.execute(db)
    await sql`create trigger ${sql.raw(`${table}_no_truncate`)} before truncate on ${sql.table(table)} for each statement execute function ledger_append_only()`.execute(db)
  }

  // An entry remembers the transaction that posted it: lines can be added
  // only there, so a committed entry can never be unbalanced later.
  await sql`
    create function ledger_entry_stamp() returns trigger language plpgsql as $$
    begin
      new.created_txid := pg_current_xact_id();
      return new;
    end $$`.execute(db)
  await sql`create trigger ledger_entries_stamp before insert on ledger_entries for each row execute function ledger_entry_stamp()`.execute(db)

  // At commit: every entry has at least two lines and they sum to zero.
  await sql`
    create function ledger_entry_balanced() returns trigger language plpgsql as $$
    declare
      lines integer;
      total numeric;
    begin
      select count(*), coalesce(sum(amount), 0) into lines, total from ledger_lines where entry_id = new.id;
      if lines < 2 or total <> 0 then
        raise exception 'ledger entry % is unbalanced: % line(s) summing to %', new.id, lines, total using errcode = 'P0001';
      end if;
      return null;
    end $$`.execute(db)
  await sql`create constraint trigger ledger_entries_balanced after insert on ledger_entries deferrable initially deferred for each row execute function ledger_entry_balanced()`.execute(db)

  // Balances move with their lines, set-based, in the statement that wrote
  // them. Accounts are locked in id order (no key update: compatible with the
  // foreign-key checks of concurrent writers), so writers never deadlock here.
  await sql`
    create function ledger_lines_post() returns trigger language plpgsql as $$
    begin
      if exists (select 1 from new_lines n join ledger_entries e on e.id = n.entry_id where e.created_txid <> pg_current_xact_id()) then
        raise exception 'ledger lines can only be added to an entry posted in the same transaction' using errcode = 'P0001';
      end if;
      perform 1 from ledger_accounts where id in (select account_id from new_lines) order by id for no key update;
      update ledger_accounts a set balance = a.balance + s.total
        from (select account_id, sum(amount)::bigint as total from new_lines group by account_id) s
       where a.id = s.account_id;
      return null;
    end $$`.execute(db)
  await sql`create trigger ledger_lines_post after insert on ledger_lines referencing new table as new_lines for each statement execute function ledger_lines_post()`.execute(db)

  // Nobody else writes a balance: an account starts at zero, and only the
  // lines trigger above (trigger depth 2 here) changes it.
  await sql`
    create function ledger_accounts_guard() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        if new.balance <> 0 then
          raise exception 'a ledger account starts at zero' using errcode = 'P0001';
        end if;
        return new;
      end if;
      if new.key <> old.key or new.kind <> old.kind or new.debt_id is distinct from old.debt_id or new.payment_id is distinct from old.payment_id or new.creditor is distinct from old.creditor then
        raise exception 'a ledger account''s identity never changes' using errcode = 'P0001';
      end if;
      if new.balance <> old.balance and pg_trigger_depth() < 2 then
        raise exception 'balances move only through ledger lines' using errcode = 'P0001';
      end if;
      return new;
    end $$`.execute(db)
  await sql`create trigger ledger_accounts_guard before insert or update on ledger_accounts for each row execute function ledger_accounts_guard()`.execute(db)
  await sql`create trigger ledger_accounts_no_delete before delete or truncate on ledger_accounts for each statement execute function ledger_append_only()`.execute(db)

  // payments.overpaid_amount mirrors the payment's overpaid account (what we
  // hold beyond the claim and have not given back), in the same statement.
  await sql`
    create function ledger_overpaid_mirror() returns trigger language plpgsql as $$
    begin
      update payments set overpaid_amount = -new.balance where id = new.payment_id;
      return null;
    end $$`.execute(db)
  await sql`create trigger ledger_overpaid_mirror after update of balance on ledger_accounts for each row when (new.kind = 'overpaid') execute function ledger_overpaid_mirror()`.execute(db)

  await db.schema.alterTable('debt_imports').addColumn('rows_adjusted', 'integer', (c) => c.notNull().defaultTo(0)).execute()
  await sql`alter table debt_import_rows drop constraint debt_import_rows_outcome_check`.execute(db)
  await sql`alter table debt_import_rows add constraint debt_import_rows_outcome_check check (outcome in ('imported', 'adjusted', 'unchanged', 'rejected'))`.execute(db)

  await migrateExistingData(db)

  // The outstanding amount is the receivable's balance now; the debt keeps
  // the claim as the creditor last stated it (descriptive data).
  await sql`alter table debts drop column outstanding`.execute(db)
}

/**
 * Existing debts, payments and refunds get their entries, so the ledger ties
 * out from day one. What the old code did: a payment lowered the balance by
 * what it could absorb (the rest was its overpaid amount), and a refund gave
 * back the payment's overpaid amount first and raised the balance by the
 * rest. So each debt's claim is its outstanding plus what its payments
 * applied net of those raises. A recalled debt also gets its recall.
 */
async function migrateExistingData (db: Kysely<any>): Promise<void> {
  await sql`
    create temporary table ledger_migration_payments as
    select p.id, p.debt_id, p.amount, p.overpaid_amount as overpaid, coalesce(p.paid_at, p.updated_at) as at,
           (p.amount - p.overpaid_amount) - greatest(0, p.refunded_amount - p.overpaid_amount) as net_applied
      from payments p where p.status in ('succeeded', 'returned')`.execute(db)
  await sql`
    create temporary table ledger_migration_refunds as
    select r.id, r.kind, r.payment_id, p.debt_id, r.amount, coalesce(r.completed_at, r.created_at) as at,
           least(r.amount, greatest(0, p.overpaid - coalesce(sum(r.amount) over (partition by r.payment_id order by coalesce(r.completed_at, r.created_at), r.id rows between unbounded preceding and 1 preceding), 0))) as first
      from refunds r join ledger_migration_payments p on p.id = r.payment_id
     where r.status = 'succeeded'`.execute(db)
  await sql`alter table debts add column claim_amount bigint`.execute(db)
  await sql`
    update debts d set claim_amount = d.outstanding + coalesce((select sum(net_applied) from ledger_migration_payments p where p.debt_id = d.id), 0)`.execute(db)
  await sql`alter table debts alter column claim_amount set not null, add constraint debts_claim_amount_not_negative check (claim_amount >= 0)`.execute(db)

  await sql`insert into ledger_accounts (key, kind) values ('acquirer', 'acquirer')`.execute(db)
  await sql`insert into ledger_accounts (key, kind, creditor) select distinct 'claims:' || creditor, 'claims', creditor from debts`.execute(db)
  await sql`insert into ledger_accounts (key, kind, debt_id) select 'receivable:debt_' || replace(id::text, '-', ''), 'receivable', id from debts`.execute(db)
  await sql`
    insert into ledger_accounts (key, kind, debt_id, payment_id)
    select 'overpaid:pay_' || replace(id::text, '-', ''), 'overpaid', debt_id, id from ledger_migration_payments where overpaid > 0`.execute(db)

  await sql`
    insert into ledger_entries (id, kind, debt_id, payment_id, reference_type, reference_id, created_at)
    select gen_random_uuid(), 'claim_assigned', id, null::uuid, case when import_id is null then 'debt' else 'import' end, coalesce(import_id, id),
           least(d.created_at, (select min(at) - interval '1 millisecond' from ledger_migration_payments p where p.debt_id = d.id)) from debts d where claim_amount > 0
    union all
    select gen_random_uuid(), 'claim_recalled', id, null::uuid, 'debt', id,
           -- after the assignment even when the debt was recalled in the instant it was created: entries read in time order
           greatest(updated_at, created_at + interval '1 millisecond', (select max(at) from ledger_migration_refunds r where r.debt_id = debts.id)) from debts where status = 'recalled' and outstanding > 0
    union all
    select gen_random_uuid(), 'payment_received', debt_id, id, 'payment', id, at from ledger_migration_payments
    union all
    select gen_random_uuid(), case when kind = 'return' then 'payment_returned' else 'refund_paid' end, debt_id, payment_id, 'refund', id, at from ledger_migration_refunds`.execute(db)

  // One statement for every line: balances are checked once, at their final values.
  await sql`
    with acquirer as (select id from ledger_accounts where kind = 'acquirer'),
    receivable as (select id, debt_id from ledger_accounts where kind = 'receivable'),
    claims as (select id, creditor from ledger_accounts where kind = 'claims'),
    overpaid as (select id, payment_id from ledger_accounts where kind = 'overpaid'),
    lines (entry_id, account_id, amount) as (
      select e.id, r.id, d.claim_amount from ledger_entries e join debts d on d.id = e.debt_id join receivable r on r.debt_id = d.id where e.kind = 'claim_assigned'
      union all
      select e.id, c.id, -d.claim_amount from ledger_entries e join debts d on d.id = e.debt_id join claims c on c.creditor = d.creditor where e.kind = 'claim_assigned'
      union all
      select e.id, r.id, -d.outstanding from ledger_entries e join debts d on d.id = e.debt_id join receivable r on r.debt_id = d.id where e.kind = 'claim_recalled'
      union all
      select e.id, c.id, d.outstanding from ledger_entries e join debts d on d.id = e.debt_id join claims c on c.creditor = d.creditor where e.kind = 'claim_recalled'
      union all
      select e.id, (select id from acquirer), p.amount from ledger_entries e join ledger_migration_payments p on p.id = e.reference_id where e.kind = 'payment_received'
      union all
      select e.id, r.id, -(p.amount - p.overpaid) from ledger_entries e join ledger_migration_payments p on p.id = e.reference_id join receivable r on r.debt_id = p.debt_id where e.kind = 'payment_received'
      union all
      select e.id, o.id, -p.overpaid from ledger_entries e join ledger_migration_payments p on p.id = e.reference_id join overpaid o on o.payment_id = p.id where e.kind = 'payment_received'
      union all
      select e.id, (select id from acquirer), -x.amount from ledger_entries e join ledger_migration_refunds x on x.id = e.reference_id where e.kind in ('refund_paid', 'payment_returned')
      union all
      select e.id, o.id, x.first from ledger_entries e join ledger_migration_refunds x on x.id = e.reference_id join overpaid o on o.payment_id = x.payment_id where e.kind in ('refund_paid', 'payment_returned')
      union all
      select e.id, r.id, x.amount - x.first from ledger_entries e join ledger_migration_refunds x on x.id = e.reference_id join receivable r on r.debt_id = x.debt_id where e.kind in ('refund_paid', 'payment_returned')
    )
    insert into ledger_lines (entry_id, account_id, amount) select entry_id, account_id, amount from lines where amount <> 0`.execute(db)
  await sql`drop table ledger_migration_refunds, ledger_migration_payments`.execute(db)
}
