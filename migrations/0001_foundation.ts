import { readFileSync } from 'node:fs'
import { createHash, randomBytes } from 'node:crypto'
import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

function uuidv7 (): string {
  const bytes = randomBytes(16)
  bytes.writeUIntBE(Date.now(), 0, 6)
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x70
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.createTable('api_keys')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().check(sql`length(name) between 1 and 200`))
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('scopes', sql`text[]`, (c) => c.notNull().check(sql`cardinality(scopes) > 0 and scopes <@ array['admin','operator','partner']::text[]`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('last_used_at', 'timestamptz')
    .execute()

  // Append-only: the trigger refuses UPDATE, DELETE and TRUNCATE, so the
  // record of who did what cannot be edited by the application either.
  await db.schema.createTable('audit_log')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('actor_key_id', 'uuid', (c) => c.references('api_keys.id'))
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('entity_type', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'text')
    .addColumn('request_id', 'text')
    .addColumn('ip', 'text')
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('audit_log_entity').on('audit_log').columns(['entity_type', 'entity_id']).execute()
  await sql`
    create function audit_log_is_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_log is append-only' using errcode = 'insufficient_privilege';
    end $$`.execute(db)
  await sql`create trigger audit_log_no_update_delete before update or delete on audit_log
    for each row execute function audit_log_is_append_only()`.execute(db)
  await sql`create trigger audit_log_no_truncate before truncate on audit_log
    for each statement execute function audit_log_is_append_only()`.execute(db)

  await db.schema.createTable('offers')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('language', 'text', (c) => c.notNull().check(sql`language ~ '^[a-z]{2}$'`))
    .addColumn('version', 'integer', (c) => c.notNull().check(sql`version > 0`))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull().check(sql`sha256 ~ '^[0-9a-f]{64}$'`))
    .addColumn('published_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('published_by_key_id', 'uuid', (c) => c.references('api_keys.id'))
    .addUniqueConstraint('offers_language_version', ['language', 'version'])
    .execute()
  // Published offers are legal evidence: their text never changes.
  await sql`
    create function offers_are_immutable() returns trigger language plpgsql as $$
    begin
      raise exception 'published offers are immutable' using errcode = 'insufficient_privilege';
    end $$`.execute(db)
  await sql`create trigger offers_no_update_delete before update or delete on offers
    for each row execute function offers_are_immutable()`.execute(db)

  // The agency's legal text, served byte for byte (version 1, Russian).
  const text = readFileSync(new URL('./seeds/public-offer.ru.txt', import.meta.url), 'utf8')
  await db.insertInto('offers').values({
    id: uuidv7(),
    language: 'ru',
    version: 1,
    title: 'Договор публичной оферты',
    text,
    sha256: createHash('sha256').update(text, 'utf8').digest('hex')
  }).execute()
}
