import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

/**
 * The Kaspi sandbox's own records (KASPI_MODE=sandbox, DESIGN 17): the transactions it played as the Kaspi app, one
 * row per pay it made (or, with a fault, meant to make), from which it writes a day's registry as Kaspi would. It
 * plays Kaspi, so nothing of ours reads this table and it reads none of ours; like the sandbox bank's tables it
 * exists in every database and stays empty unless the sandbox is mounted. No personal data: a payment code, an id,
 * a sum and a time.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.createTable('sandbox_kaspi_payments')
    .addColumn('txn_id', 'text', (c) => c.primaryKey().check(sql`length(txn_id) between 1 and 64`))
    .addColumn('txn_date', 'timestamptz', (c) => c.notNull())
    .addColumn('account', 'text', (c) => c.notNull().check(sql`length(account) between 1 and 64`))
    .addColumn('sum', 'bigint', (c) => c.notNull().check(sql`sum > 0`))
    // false: the fault `skipPay` kept the pay from reaching the biller, which the registry shows all the same
    .addColumn('delivered', 'boolean', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  // a day's registry reads its transactions by date
  await db.schema.createIndex('sandbox_kaspi_payments_date').on('sandbox_kaspi_payments').columns(['txn_date', 'txn_id'])
    .execute()
}
