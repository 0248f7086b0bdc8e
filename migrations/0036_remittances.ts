import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

/**
 * DESIGN 18, remittance: what the agency owes each creditor under an agency agreement, and the transfers that pay it.
 *
 * - The ledger gets `creditor_payable:cred_<hex>` (kind `creditor_payable`, one per creditor, credit-normal: what
 *   the agency owes the creditor; a debit balance means the creditor was paid more than it is owed, after a refund)
 *   and `commission` (kind `commission`, one, credit-normal: the agency's revenue). An agency payment's
 *   `payment_received` moves the applied part from the creditor's claims account to these two; refunds and returns
 *   reverse them; a `remittance` entry (bank -amount, creditor_payable +amount) pays the creditor.
 * - A remittance names no debt, like a settlement: the entries' debt check allows a null debt for both kinds.
 * - remittances: one row per transfer, with its ledger entry; facts, never changed or removed.
 * - The statements read a creditor's entries by time: remittances get a time index of their own (the money entries
 *   have one since 0035), so a statement costs its range, not the creditor's history (DESIGN 24).
 */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`alter table ledger_accounts drop constraint ledger_accounts_kind_check`.execute(db)
  await sql`
    alter table ledger_accounts add constraint ledger_accounts_kind_check
      check (kind in ('receivable', 'claims', 'clearing', 'overpaid', 'bank', 'fees', 'creditor_payable',
        'commission'))`.execute(db)
  await sql`alter table ledger_accounts drop constraint ledger_accounts_owner`.execute(db)
  await sql`
    alter table ledger_accounts add constraint ledger_accounts_owner check (
      (kind in ('receivable', 'overpaid')) = (debt_id is not null)
      and (kind = 'overpaid') = (payment_id is not null)
      and (kind in ('claims', 'creditor_payable')) = (creditor_id is not null)
      and (kind = 'claims' or creditor is null))`.execute(db)
  await sql`
    create unique index ledger_accounts_payable_creditor on ledger_accounts (creditor_id)
     where kind = 'creditor_payable'`.execute(db)
  await sql`insert into ledger_accounts (key, kind) values ('commission', 'commission') on conflict (key) do nothing`
    .execute(db)

  await sql`alter table ledger_entries drop constraint ledger_entries_kind_check`.execute(db)
  await sql`alter table ledger_entries drop constraint ledger_entries_reference_type_check`.execute(db)
  await sql`alter table ledger_entries drop constraint ledger_entries_debt`.execute(db)
  await sql`
    alter table ledger_entries
      add constraint ledger_entries_kind_check check (kind in ('claim_assigned', 'claim_adjusted', 'claim_recalled',
        'payment_received', 'refund_paid', 'payment_returned', 'settlement', 'remittance')),
      add constraint ledger_entries_reference_type_check
        check (reference_type in ('debt', 'import', 'payment', 'refund', 'settlement', 'remittance')),
      add constraint ledger_entries_debt check ((kind in ('settlement', 'remittance')) = (debt_id is null))`
    .execute(db)
  await sql`
    create index ledger_entries_remittance_by_time on ledger_entries (created_at, id) where kind = 'remittance'`
    .execute(db)

  await sql`
    create table remittances (
      id uuid primary key,
      creditor_id uuid not null references creditors (id),
      amount bigint not null check (amount > 0),
      reference text not null check (length(reference) between 1 and 64),
      date date not null,
      entry_id uuid not null,
      created_by_key_id uuid,
      created_at timestamptz not null default now()
    )`.execute(db)
  await sql`create index remittances_creditor on remittances (creditor_id, id)`.execute(db)
  // a transfer has one reference: the same one twice is a retry, never a second transfer
  await sql`create unique index remittances_reference on remittances (creditor_id, reference)`.execute(db)
  // A remittance, once booked, is a fact: the service adds remittances, it never changes or removes one.
  await sql`revoke update, delete, truncate on remittances from debt_payments_service`.execute(db)
}
