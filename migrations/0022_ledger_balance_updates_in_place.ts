import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

/**
 * Every posting rewrites its accounts' balance rows (the lines trigger of
 * 0012). With full pages that rewrite moves the row to another page and
 * adds an entry to each of the table's five indexes; with room left on the
 * page it is a heap-only update (no indexed column changes), which is most
 * of the cost of booking a portfolio's claims. Nothing about what is
 * stored or checked changes. Existing pages keep their packing until they
 * are rewritten; new accounts (every imported debt has one) get the room.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`alter table ledger_accounts set (fillfactor = 50)`.execute(db)
}
