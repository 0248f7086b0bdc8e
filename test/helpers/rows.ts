// Test access to rows the API does not show, and rows seeded where no API makes them (a request received long ago).
// Plain typed queries on the app's one DB, so a test never reaches into a module's repository or casts a table.
import type { Insertable, Selectable } from 'kysely'
import type { Database } from '../../src/db/database.js'
import type { PrivacyRequestRow, PrivacyRequestsTable } from '../../src/modules/privacy/tables.js'
import type { SandboxBankPaymentsTable } from '../../src/bank/sandbox/types.js'

export async function privacyRequestRow (db: Database, id: string): Promise<PrivacyRequestRow | undefined> {
  return await db.selectFrom('privacy_requests').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function seedPrivacyRequest (
  db: Database, row: Insertable<PrivacyRequestsTable>
): Promise<PrivacyRequestRow> {
  return await db.insertInto('privacy_requests').values(row).returningAll().executeTakeFirstOrThrow()
}

/** The sandbox bank's own record of an order (its refunded amount, what it kept of the request). */
export async function sandboxBankPayment (
  db: Database, orderId: string
): Promise<Selectable<SandboxBankPaymentsTable> | undefined> {
  return await db.selectFrom('sandbox_bank_payments').selectAll().where('order_id', '=', orderId).executeTakeFirst()
}
