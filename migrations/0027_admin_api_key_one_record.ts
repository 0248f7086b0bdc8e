import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

/**
 * DESIGN 16: the key ADMIN_API_KEY ensures is one record, and a new value revokes the previous one. `origin` tells
 * that key from the keys issued through the API or `npm run api-key`, which a new value never touches. The keys
 * ensured before this migration are the ones named ADMIN_API_KEY, with the admin scope alone, that no
 * `api_key.created` entry of the audit log issued (an issued key may carry any name, that one too).
 *
 * No unique index holds "one live": a database may hold several live ADMIN_API_KEY keys from before (every value it
 * was ever given), and only the process that knows the current value can tell which one stays; the service
 * revokes the others at its next start, under an advisory lock.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    alter table api_keys add column origin text not null default 'issued'
      constraint api_keys_origin check (origin in ('issued', 'admin_api_key'))`.execute(db)
  await sql`
    update api_keys k set origin = 'admin_api_key'
    where k.name = 'ADMIN_API_KEY' and k.scopes = array['admin']::text[]
      and not exists (
        select 1 from audit_log a
        where a.action = 'api_key.created' and a.entity_type = 'api_key'
          and a.entity_id = 'key_' || replace(k.id::text, '-', ''))`.execute(db)
  await sql`
    alter table api_keys add constraint api_keys_admin_api_key_scopes
      check (origin <> 'admin_api_key' or (scopes = array['admin']::text[] and name = 'ADMIN_API_KEY'))`.execute(db)
}
