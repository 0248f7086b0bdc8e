import { sql } from 'kysely'
import type { Handle } from '../../db/database.js'
import type { ApiKeyRow, KeyOrigin } from './tables.js'


export async function findKeyByHash (db: Handle, keyHash: string): Promise<ApiKeyRow | undefined> {
  return await db.selectFrom('api_keys').selectAll().where('key_hash', '=', keyHash).executeTakeFirst()
}

export async function findKey (db: Handle, id: string): Promise<ApiKeyRow | undefined> {
  return await db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst()
}

interface NewKey {
  id: string
  name: string
  prefix: string
  key_hash: string
  scopes: string[]
  creditors?: string[]
  origin?: KeyOrigin
  expires_at?: Date | null
  allowed_ips?: string[]
}

export async function insertKey (db: Handle, row: NewKey): Promise<ApiKeyRow> {
  return await db.insertInto('api_keys').values(row).returningAll().executeTakeFirstOrThrow()
}

/** Processes starting at once with ADMIN_API_KEY take turns: each sees what the one before it decided. */
export async function lockAdminApiKeys (trx: Handle): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext('api_keys:admin_api_key'))`.execute(trx)
}

export async function liveKeysOfOrigin (db: Handle, origin: KeyOrigin): Promise<ApiKeyRow[]> {
  return await db.selectFrom('api_keys').selectAll().where('origin', '=', origin).where('revoked_at', 'is', null)
    .orderBy('id', 'asc').execute()
}

export async function listKeys (
  db: Handle, page: { limit: number, startingAfter: string | null }
): Promise<ApiKeyRow[]> {
  let query = db.selectFrom('api_keys').selectAll().orderBy('id', 'asc').limit(page.limit + 1)
  if (page.startingAfter !== null) query = query.where('id', '>', page.startingAfter)
  return await query.execute()
}

/** Revokes once: a second revoke leaves the first timestamp. */
export async function revokeKey (db: Handle, id: string): Promise<ApiKeyRow | undefined> {
  await db.updateTable('api_keys').set({ revoked_at: new Date() })
    .where('id', '=', id).where('revoked_at', 'is', null).execute()
  return await findKey(db, id)
}

export async function touchKey (db: Handle, id: string): Promise<void> {
  // Coarse on purpose: one write per key per minute, not one per request.
  await db.updateTable('api_keys').set({ last_used_at: new Date() })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', new Date(Date.now() - 60_000))]))
    .execute()
}

/** Keys past their expiry that still own an enabled webhook endpoint (the endpoints' table, read from above). */
export async function expiredKeysWithEndpoints (db: Handle, now: Date): Promise<string[]> {
  const rows = await db.selectFrom('api_keys').select('id')
    .where('expires_at', '<=', now)
    .where((eb) => eb.exists(eb.selectFrom('webhook_endpoints').select(sql<number>`1`.as('one'))
      .whereRef('webhook_endpoints.owner_key_id', '=', 'api_keys.id').where('webhook_endpoints.status', '=', 'enabled')))
    .orderBy('id').execute()
  return rows.map((row) => row.id)
}
