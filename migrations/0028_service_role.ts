import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

/**
 * DESIGN 16, least privilege: the migrations run as the owner of the tables;
 * the service connects as a role that owns nothing, so it cannot disable the
 * triggers that keep the ledger and the audit log append-only, nor alter or
 * drop a table. Roles belong to the cluster, not to the database, so the
 * service's rights go to one group role of a fixed name, created here when
 * missing; the login role the service uses is made a member of it by whoever
 * creates that login (the embedded database, docker-compose's init script,
 * an operator).
 *
 * The service may read and write every table but the migrations' own
 * bookkeeping (read only), and not even ask for what a trigger refuses: no
 * UPDATE or DELETE on the audit log and the ledger's entries and lines, no
 * UPDATE or DELETE on published offers, no DELETE on ledger accounts, debts
 * and imports; TRUNCATE on nothing. Tables created by later migrations get
 * the same read-and-write rights by default privileges: a later migration
 * that makes a table append-only revokes them there, in the same migration
 * (test/db/least-privilege.test.ts holds every such trigger to this).
 */
const SERVICE = sql.id('debt_payments_service')

export async function up (db: Kysely<any>): Promise<void> {
  // Two first starts at once may both find it missing; an owner without CREATEROLE is told what to do.
  await sql`
    do $$ begin
      if not exists (select from pg_roles where rolname = 'debt_payments_service') then
        create role debt_payments_service nologin;
      end if;
    exception
      when duplicate_object or unique_violation then null;
      when insufficient_privilege then
        raise exception 'role debt_payments_service does not exist and % may not create it', current_user
          using hint = 'create it once as an administrator: CREATE ROLE debt_payments_service NOLOGIN';
    end $$`.execute(db)

  await sql`grant usage on schema public to ${SERVICE}`.execute(db)
  await sql`grant select, insert, update, delete on all tables in schema public to ${SERVICE}`.execute(db)
  await sql`grant usage, select on all sequences in schema public to ${SERVICE}`.execute(db)
  await sql`grant execute on all functions in schema public to ${SERVICE}`.execute(db)
  await sql`alter default privileges in schema public grant select, insert, update, delete on tables to ${SERVICE}`
    .execute(db)
  await sql`alter default privileges in schema public grant usage, select on sequences to ${SERVICE}`.execute(db)
  await sql`alter default privileges in schema public grant execute on functions to ${SERVICE}`.execute(db)

  // What the triggers refuse (migrations 0001, 0012, 0024) is not granted either.
  await sql`revoke update, delete, truncate on audit_log, ledger_entries, ledger_lines from ${SERVICE}`.execute(db)
  await sql`revoke update, delete, truncate on offers from ${SERVICE}`.execute(db)
  await sql`revoke delete, truncate on ledger_accounts, debts, debt_imports from ${SERVICE}`.execute(db)
  await sql`revoke insert, update, delete, truncate on kysely_migration, kysely_migration_lock from ${SERVICE}`
    .execute(db)

  // An import analyzes its staging rows once they are in (the planner must know their number): ANALYZE needs the
  // owner or, since Postgres 17, MAINTAIN, which allows no ALTER. Before 17 the ANALYZE is skipped with a warning.
  await sql`
    do $$ begin
      if current_setting('server_version_num')::int >= 170000 then
        execute 'grant maintain on debt_import_rows to debt_payments_service';
      end if;
    end $$`.execute(db)
}
