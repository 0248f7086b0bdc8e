import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.createTable('debt_imports')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('queued').check(sql`status in ('queued', 'running', 'completed', 'failed')`))
    .addColumn('file_name', 'text')
    .addColumn('file_bytes', 'bigint', (c) => c.notNull().check(sql`file_bytes >= 0`))
    .addColumn('rows_total', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rows_imported', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rows_unchanged', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rows_rejected', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('errors', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('failure_reason', 'text')
    .addColumn('created_by_key_id', 'uuid', (c) => c.references('api_keys.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('started_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .execute()

  // Rows of an uploaded file between upload and processing. Valid rows keep
  // their data encrypted (it holds IINs and names); rejected rows keep only
  // the error. Emptied when the import finishes.
  await db.schema.createTable('debt_import_rows')
    .addColumn('import_id', 'uuid', (c) => c.notNull().references('debt_imports.id').onDelete('cascade'))
    .addColumn('line', 'integer', (c) => c.notNull())
    .addColumn('contract_number_normalized', 'text')
    .addColumn('debtor_iin_index', 'text')
    .addColumn('payload', 'text')
    .addColumn('error_code', 'text')
    .addColumn('error_column', 'text')
    .addColumn('error_message', 'text')
    .addColumn('outcome', 'text', (c) => c.check(sql`outcome in ('imported', 'unchanged', 'rejected')`))
    .addPrimaryKeyConstraint('debt_import_rows_pk', ['import_id', 'line'])
    .addCheckConstraint('debt_import_rows_valid_or_error', sql`(payload is not null) <> (error_code is not null)`)
    .execute()
  await db.schema.createIndex('debt_import_rows_key').on('debt_import_rows')
    .columns(['import_id', 'contract_number_normalized', 'debtor_iin_index', 'line']).execute()

  await db.schema.createTable('debts')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('contract_number', 'text', (c) => c.notNull())
    .addColumn('contract_number_normalized', 'text', (c) => c.notNull())
    .addColumn('debtor_iin_encrypted', 'text', (c) => c.notNull())
    .addColumn('debtor_iin_index', 'text', (c) => c.notNull())
    .addColumn('debtor_name_encrypted', 'text', (c) => c.notNull())
    .addColumn('creditor', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull().defaultTo('KZT').check(sql`currency = 'KZT'`))
    .addColumn('outstanding', 'bigint', (c) => c.notNull().check(sql`outstanding >= 0`))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active').check(sql`status in ('active', 'closed', 'recalled')`))
    // HMAC of the imported row as the creditor sent it: a re-import of the
    // same row changes nothing, even after payments lowered the balance.
    .addColumn('source_hash', 'text', (c) => c.notNull())
    .addColumn('import_id', 'uuid', (c) => c.references('debt_imports.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('debts_contract_iin', ['contract_number_normalized', 'debtor_iin_index'])
    .execute()
  await db.schema.createIndex('debts_status_id').on('debts').columns(['status', 'id']).execute()
}
