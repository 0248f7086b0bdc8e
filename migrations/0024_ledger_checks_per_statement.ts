import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

/**
 * The ledger's guarantees checked once per statement instead of once per
 * row (issue 12). A million-row import posts a million entries, a million
 * receivables and two million lines; their per-row foreign-key checks and
 * the deferred balance check of every entry were more than half of the
 * import's database time (each is one query of its own, per row). What is
 * stored, refused and guaranteed stays the same:
 *
 * - An entry and its lines are written by one statement (a data-modifying
 *   WITH); when it ends, every new entry names an existing debt and has at
 *   least two lines summing to zero. Lines added later, in the entry's
 *   transaction, must sum to zero per entry among themselves, so a
 *   committed entry is always balanced, as the deferred check ensured.
 * - Every new line names an entry of the same transaction and an existing
 *   account; every new account names an existing debt (when it has one);
 *   every debt an existing import (when it has one). These were foreign
 *   keys; nothing the keys pointed at can be deleted now (entries, lines
 *   and accounts already could not be), so checking the referencing side
 *   when it is written is the whole of what the keys guaranteed.
 * - Debts and imports are never deleted (nothing in the service deletes
 *   them; now a trigger refuses it): the books keep every debt.
 *
 * The errors keep their SQLSTATE: foreign_key_violation (23503) for a
 * reference to nothing, P0001 for the ledger's own rules.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`set constraints ledger_entries_balanced immediate`.execute(db)
  await sql`drop trigger ledger_entries_balanced on ledger_entries`.execute(db)
  await sql`drop function ledger_entry_balanced()`.execute(db)
  await sql`alter table ledger_lines drop constraint ledger_lines_entry_id_fkey, drop constraint ledger_lines_account_id_fkey`.execute(db)
  await sql`alter table ledger_entries drop constraint ledger_entries_debt_id_fkey`.execute(db)
  await sql`alter table ledger_accounts drop constraint ledger_accounts_debt_id_fkey`.execute(db)
  await sql`alter table debts drop constraint debts_import_id_fkey`.execute(db)

  await sql`
    create function never_deleted() returns trigger language plpgsql as $$
    begin
      raise exception '% rows are never deleted: % refused', tg_table_name, tg_op using errcode = 'P0001';
    end $$`.execute(db)
  for (const table of ['debts', 'debt_imports']) {
    await sql`create trigger ${sql.raw(`${table}_no_delete`)} before delete or truncate on ${sql.table(table)} for each statement execute function never_deleted()`.execute(db)
  }

  await sql`
    create function ledger_entries_posted() returns trigger language plpgsql as $$
    declare
      bad record;
    begin
      select n.id, x.lines, x.total into bad
        from new_entries n cross join lateral (select count(*) as lines, coalesce(sum(l.amount), 0) as total from ledger_lines l where l.entry_id = n.id) x
       where x.lines < 2 or x.total <> 0 limit 1;
      if found then
        raise exception 'ledger entry % is unbalanced: % line(s) summing to %', bad.id, bad.lines, bad.total
          using errcode = 'P0001', hint = 'write an entry and its lines in one statement';
      end if;
      return null;
    end $$`.execute(db)
  await sql`create trigger ledger_entries_posted after insert on ledger_entries referencing new table as new_entries for each statement execute function ledger_entries_posted()`.execute(db)

  // The lines trigger of 0012, with the checks the foreign keys made.
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
      perform 1 from ledger_accounts where id in (select account_id from new_lines) order by id for no key update;
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

  // What were foreign keys, checked over the rows each statement wrote: one
  // function per reference, from one template (static SQL, so each keeps its
  // cached plan); the error names the first row (`id`) that names nothing.
  const references = [
    { name: 'ledger_entries_name_debts', table: 'ledger_entries', column: 'debt_id', parent: 'debts', row: 'ledger entry', events: ['insert'] },
    { name: 'ledger_accounts_name_debts', table: 'ledger_accounts', column: 'debt_id', parent: 'debts', row: 'ledger account', events: ['insert'] },
    { name: 'debts_name_imports', table: 'debts', column: 'import_id', parent: 'debt_imports', row: 'debt', events: ['insert', 'update'] }
  ]
  for (const ref of references) {
    const column = sql.raw(ref.column)
    await sql`
      create function ${sql.raw(ref.name)}() returns trigger language plpgsql as $$
      declare
        bad uuid;
      begin
        select n.id into bad from new_rows n
         where n.${column} is not null and not exists (select 1 from ${sql.raw(ref.parent)} p where p.id = n.${column}) limit 1;
        if found then
          raise exception '${sql.raw(ref.row)} % names no row of ${sql.raw(ref.parent)}', bad using errcode = '23503';
        end if;
        return null;
      end $$`.execute(db)
    for (const event of ref.events) {
      await sql`create trigger ${sql.raw(`${ref.name}_${event}`)} after ${sql.raw(event)} on ${sql.table(ref.table)} referencing new table as new_rows for each statement execute function ${sql.raw(ref.name)}()`.execute(db)
    }
  }
}
