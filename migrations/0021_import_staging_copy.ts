import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

/**
 * Portfolio import through COPY (issue 12). The staging table holds what
 * the final write needs and nothing else: the upload computes the blind
 * index, the encrypted IIN and name and the source fingerprint in the
 * stream, so the worker only runs set-based SQL. PII stays encrypted at
 * rest; a rejected row keeps only its error.
 *
 * Unlogged: staged rows are a transient copy of a file the operator still
 * has, written once and read once, and WAL for them would double the
 * import's writes. A database crash empties an unlogged table; the worker
 * sees the rows missing and fails the import with a reason (upload again)
 * instead of completing it short. No foreign key: the import row outlives
 * its staged rows, which the import deletes itself when it finishes or fails.
 */
export async function up (db: Kysely<any>): Promise<void> {
  // Imports staged in the old format (one encrypted payload per row) are
  // not converted: SQL cannot decrypt them. One in flight fails with a
  // reason, and the operator uploads the file again (a re-import writes
  // nothing for rows that already arrived).
  await sql`
    update debt_imports set status = 'failed', finished_at = now(),
           failure_reason = 'interrupted by an upgrade of the import; upload the file again'
     where status in ('queued', 'running')`.execute(db)
  await sql`drop table debt_import_rows`.execute(db)

  await sql`
    create unlogged table debt_import_rows (
      import_id uuid not null,
      line integer not null,
      contract_number text,
      contract_number_normalized text,
      debtor_iin_index text,
      debtor_iin_encrypted text,
      debtor_name_encrypted text,
      creditor text,
      claim_amount bigint check (claim_amount >= 0),
      source_hash text,
      error_code text,
      error_column text,
      error_message text,
      primary key (import_id, line),
      constraint debt_import_rows_valid_or_error check (
        num_nonnulls(contract_number, contract_number_normalized, debtor_iin_index, debtor_iin_encrypted,
                     debtor_name_encrypted, creditor, claim_amount, source_hash) = case when error_code is null then 8 else 0 end)
    )`.execute(db)

  // RFC 9562 UUIDv7 for rows written set-based (debts, ledger entries):
  // the 48-bit Unix millisecond time over a random v4, version bits 0111.
  await sql`
    create function uuid_generate_v7() returns uuid language sql volatile parallel safe as $$
      select encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) placing
             substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) from 3) from 1 for 6), 52, 1), 53, 1), 'hex')::uuid
    $$`.execute(db)
}
