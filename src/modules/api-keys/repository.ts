import type { Handle } from '../../db/database.js'
import type { ApiKeyRow } from './tables.js'


export async function findKeyByHash (db: Handle, keyHash: string): Promise<ApiKeyRow | undefined> {
  return await db.selectFrom('api_keys').selectAll().where('key_hash', '=', keyHash).executeTakeFirst()
}

export async function findKey (db: Handle, id: string): Promise<ApiKeyRow | undefined> {
  return await db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function insertKey (db: Handle, row: { id: string, name: string, prefix: string, key_hash: string, scopes: string[], creditors?: string[] }): Promise<ApiKeyRow> {
  return await db.insertInto('api_keys').values(row).returningAll().executeTakeFirstOrThrow()
}

/** Inserts the key unless a key with this hash exists; returns whether it was new. */
export async function ensureKey (db: Handle, row: { id: string, name: string, prefix: string, key_hash: string, scopes: string[] }): Promise<boolean> {
  const inserted = await db.insertInto('api_keys').values(row)
    .onConflict((oc) => oc.column('key_hash').doNothing())
    .returning('id').executeTakeFirst()
  return inserted !== undefined
}

export async function listKeys (db: Handle, page: { limit: number, startingAfter: string | null }): Promise<ApiKeyRow[]> {
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
