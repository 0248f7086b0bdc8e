import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

/**
 * DESIGN 20: a key may carry an expiry and an address allowlist. Past `expires_at`, or from an address outside
 * `allowed_ips` (addresses and CIDRs in their canonical text, `203.0.113.0/24`; empty: any address), the key is
 * answered as an unknown one (401). Existing keys keep working: no expiry, any address.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`alter table api_keys add column expires_at timestamptz`.execute(db)
  await sql`
    alter table api_keys add column allowed_ips text[] not null default '{}'
      constraint api_keys_allowed_ips_bounded check (cardinality(allowed_ips) <= 100)`.execute(db)
}
