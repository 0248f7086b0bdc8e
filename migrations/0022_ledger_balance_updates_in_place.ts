import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

/**
 * The ledger's guarantees at a portfolio's scale (issue 12): a million-row
 * import books a million receivables, entries and balance updates, and the
 * per-row machinery around them was most of the cost. Nothing about what is
 * stored or refused changes.
 *
 * - Every posting rewrites its accounts' balance rows. With full pages the
 *   rewrite moves the row and adds an entry to each of the table's five
 *   indexes; with room left on the page it is a heap-only update (no indexed
 *   column changes). New pages keep half free.
 * - The guard of ledger_accounts (0012) and the stamp of ledger_entries ran
 *   a PL/pgSQL call for every row only to find nothing to do. Their WHEN
 *   clauses now say when there is something to do, and only then call the
 *   same functions: an insert with a balance, an update of an account's
 *   identity, or of a balance outside the lines trigger (trigger depth 0
 *   where WHEN is evaluated, 1 inside the lines trigger); an entry's
 *   transaction id is the column's default and the stamp overwrites any
 *   other value given.
 */
export async function up (db: Kysely<any>): Promise<void> {
  // Applied in one transaction with 0012 on an existing database, the
  // entries it posted still have their balance check pending, and ALTER
  // TABLE refuses a table with pending trigger events: the checks run now
  // (they pass or fail as they would at commit), then stay deferred as before.
  await sql`set constraints ledger_entries_balanced immediate`.execute(db)
  await sql`alter table ledger_accounts set (fillfactor = 50)`.execute(db)

  await sql`drop trigger ledger_accounts_guard on ledger_accounts`.execute(db)
  await sql`
    create trigger ledger_accounts_guard_insert before insert on ledger_accounts for each row
      when (new.balance <> 0) execute function ledger_accounts_guard()`.execute(db)
  await sql`
    create trigger ledger_accounts_guard before update on ledger_accounts for each row
      when (new.key <> old.key or new.kind <> old.kind or new.debt_id is distinct from old.debt_id
            or new.payment_id is distinct from old.payment_id or new.creditor is distinct from old.creditor
            or (new.balance <> old.balance and pg_trigger_depth() < 1))
      execute function ledger_accounts_guard()`.execute(db)

  await sql`alter table ledger_entries alter column created_txid set default pg_current_xact_id()`.execute(db)
  await sql`drop trigger ledger_entries_stamp on ledger_entries`.execute(db)
  await sql`
    create trigger ledger_entries_stamp before insert on ledger_entries for each row
      when (new.created_txid is distinct from pg_current_xact_id()) execute function ledger_entry_stamp()`.execute(db)
  await sql`set constraints ledger_entries_balanced deferred`.execute(db)
}
