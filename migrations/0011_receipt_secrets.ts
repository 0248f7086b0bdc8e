import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

export async function up (db: Kysely<any>): Promise<void> {
  // A receipt names the payer: only the holder of the payment's client
  // secret (returned once by POST /v1/payments) may read it. Only its
  // SHA-256 is kept. Payments made before this migration have none, so
  // their receipts are not served publicly.
  await db.schema.alterTable('payments')
    .addColumn('client_secret_hash', 'text', (c) => c.check(sql`client_secret_hash ~ '^[0-9a-f]{64}$'`))
    .execute()

  // Invalid-signature callbacks come from anyone: their log is capped per
  // hour and purged after a while; this index serves both.
  await db.schema.createIndex('bank_callbacks_invalid_received')
    .on('bank_callbacks').column('received_at')
    .where(sql.ref('signature_valid'), '=', false)
    .execute()
}
