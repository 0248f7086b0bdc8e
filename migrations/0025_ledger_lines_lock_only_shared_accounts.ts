import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

/**
 * The lines trigger of 0024 locks every account its lines name, in id
 * order, before it moves their balances: writers posting on the same
 * accounts then take them in one order and never deadlock. An account
 * whose current row this transaction wrote (it opened the account, or
 * already moved its balance) needs no such lock: a row inserted by an
 * open transaction is seen by no other, and one it updated stays locked by
 * it until it ends. A portfolio batch opens 50,000 receivables and posts on
 * them in the same statement; locking them all was a tenth of its booking,
 * taken while it held its creditors' claims accounts, which the other batch
 * then waited for. Now it locks only the accounts others can write (the
 * claims accounts). Everything else is 0024's function as it was.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    create or replace function ledger_lines_post() returns trigger language plpgsql as $$
    declare
      bad record;
      accounts integer;
      updated integer;
    begin
      select n.entry_id, e.id is null as missing into bad
        from new_lines n left join ledger_entries e on e.id = n.entry_id
       where e.id is null or e.created_txid <> pg_current_xact_id() limit 1;
      if found and bad.missing then
        raise exception 'ledger line names no entry %', bad.entry_id using errcode = '23503';
      elsif found then
        raise exception 'ledger lines can only be added to an entry posted in the same transaction' using errcode = 'P0001';
      end if;
      select entry_id, sum(amount) as total into bad from new_lines group by entry_id having sum(amount) <> 0 limit 1;
      if found then
        raise exception 'ledger entry % is unbalanced: lines added to it sum to %', bad.entry_id, bad.total using errcode = 'P0001';
      end if;
      -- xmin is the top-level transaction's id only for a row this transaction wrote outside any savepoint (a row
      -- written under a savepoint carries the subtransaction's id, and is locked as before)
      perform 1 from ledger_accounts where id in (select account_id from new_lines) and xmin <> pg_current_xact_id()::xid
       order by id for no key update;
      update ledger_accounts a set balance = a.balance + s.total
        from (select account_id, sum(amount)::bigint as total from new_lines group by account_id) s
       where a.id = s.account_id;
      get diagnostics updated = row_count;
      select count(distinct account_id) into accounts from new_lines;
      if updated <> accounts then
        raise exception 'ledger lines name % account(s) that do not exist', accounts - updated using errcode = '23503';
      end if;
      return null;
    end $$`.execute(db)
}
