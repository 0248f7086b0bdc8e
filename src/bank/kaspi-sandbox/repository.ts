// All of the Kaspi sandbox's SQL: its own table only (it plays Kaspi and reads nothing of ours).
import type { Handle } from '../../db/database.js'
import type { KaspiRegistryRow } from './types.js'

export async function insertKaspiTransaction (
  db: Handle, row: KaspiRegistryRow & { delivered: boolean }
): Promise<void> {
  await db.insertInto('sandbox_kaspi_payments').values({
    txn_id: row.txnId, txn_date: row.txnDate, account: row.account, sum: row.sum, delivered: row.delivered
  }).execute()
}

/** Kaspi gave the money back (the biller refused the pay for good): the transaction leaves the registry. */
export async function deleteKaspiTransaction (db: Handle, txnId: string): Promise<void> {
  await db.deleteFrom('sandbox_kaspi_payments').where('txn_id', '=', txnId).execute()
}

/** The transactions dated within `[from, to)`, in time order. */
export async function kaspiTransactionsBetween (db: Handle, from: Date, to: Date): Promise<KaspiRegistryRow[]> {
  const rows = await db.selectFrom('sandbox_kaspi_payments').select(['txn_id', 'txn_date', 'account', 'sum'])
    .where('txn_date', '>=', from).where('txn_date', '<', to)
    .orderBy('txn_date').orderBy('txn_id')
    .execute()
  return rows.map((row) => ({ txnId: row.txn_id, txnDate: row.txn_date, account: row.account, sum: BigInt(row.sum) }))
}

/** Forgets the transactions dated before `before` (through the table's date index); the number forgotten. */
export async function purgeKaspiTransactionsBefore (db: Handle, before: Date): Promise<number> {
  const result = await db.deleteFrom('sandbox_kaspi_payments').where('txn_date', '<', before).executeTakeFirst()
  return Number(result.numDeletedRows)
}
