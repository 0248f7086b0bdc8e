// Least privilege in Postgres (DESIGN 16): the migrations run as the owner of the tables; the service connects as
// a login role that is a member of SERVICE_ROLE and owns nothing, so it cannot disable the triggers that keep the
// ledger and the audit log append-only, nor alter or drop a table. Migration 0028 grants SERVICE_ROLE its rights
// (by name: a migration imports no application code).
import { sql } from 'kysely'
import type pg from 'pg'
import type { Database } from './database.js'

/** The group role the migrations grant to; roles belong to the cluster, so its name is fixed. */
export const SERVICE_ROLE = 'debt_payments_service'

/**
 * Creates the group role when missing, and a login role in it with this password (set anew each time, so the
 * password on disk is the one that works). `client` is a superuser's, or a role's with CREATEROLE.
 */
export async function ensureServiceLogin (client: pg.ClientBase, login: string, password: string): Promise<void> {
  const group = client.escapeIdentifier(SERVICE_ROLE)
  const member = client.escapeIdentifier(login)
  const exists = async (role: string): Promise<boolean> =>
    (await client.query('select 1 from pg_roles where rolname = $1', [role])).rowCount === 1
  if (!await exists(SERVICE_ROLE)) await client.query(`create role ${group} nologin`)
  if (!await exists(login)) await client.query(`create role ${member} login`)
  // the password is ours (random, base64url), but quoted as any literal would be
  await client.query(`alter role ${member} with login nosuperuser nocreatedb nocreaterole nobypassrls password ${
    client.escapeLiteral(password)}`)
  await client.query(`grant ${group} to ${member}`)
}

export interface ConnectionPrivileges {
  user: string
  superuser: boolean
  /** Tables of ours (or the job queue's) whose owner this connection is, or may become (a member of the owner). */
  ownedTables: number
}

/** Who the service's own connection is, told at start so an operator sees it owns nothing. */
export async function connectionPrivileges (db: Database): Promise<ConnectionPrivileges> {
  const result = await sql<{ user: string, superuser: boolean, owned_tables: number }>`
    select current_user as user,
           (select rolsuper from pg_roles where rolname = current_user) as superuser,
           (select count(*)::int from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where c.relkind in ('r', 'p') and n.nspname in ('public', 'graphile_worker')
               and pg_has_role(c.relowner, 'MEMBER')) as owned_tables`.execute(db)
  const row = result.rows[0] as { user: string, superuser: boolean, owned_tables: number }
  return { user: row.user, superuser: row.superuser, ownedTables: row.owned_tables }
}
