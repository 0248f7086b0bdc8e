import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

/**
 * DESIGN 20: operators search payments and debts by blind index. What each filter reads, so no search scans a table:
 * - payments by the payer's phone: a new blind index, `phone_index` (set on card payments from their acceptance;
 *   Kaspi does not tell us who paid). The index key is not in the database, so rows written before this migration
 *   keep it null: the phone search finds payments made after it.
 * - payments by channel, newest first: `(channel, id)` (the partial indexes of 0029 and 0034 hold some rows only).
 * - debts by the debtor's IIN, in the list's order: `(debtor_iin_index, id)` (the unique key of 0002 starts with the
 *   contract number). Payments by IIN, payment code or creditor go through the debts (`payments_debt`).
 */
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('payments').addColumn('phone_index', 'text').execute()
  await sql`create index payments_phone on payments (phone_index, id) where phone_index is not null`.execute(db)
  await sql`create index payments_channel_id on payments (channel, id)`.execute(db)
  await sql`create index debts_iin on debts (debtor_iin_index, id)`.execute(db)
}
