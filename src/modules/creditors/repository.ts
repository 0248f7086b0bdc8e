import { sql } from 'kysely'
import type { Handle } from '../../db/database.js'
import type { AgreementKind, CreditorRow } from './tables.js'

export async function findCreditor (db: Handle, id: string, forUpdate = false): Promise<CreditorRow | undefined> {
  let query = db.selectFrom('creditors').selectAll().where('id', '=', id)
  if (forUpdate) query = query.forUpdate()
  return await query.executeTakeFirst()
}

export async function listCreditorRows (
  db: Handle, filter: { limit: number, startingAfter: string | null }
): Promise<CreditorRow[]> {
  let query = db.selectFrom('creditors').selectAll().orderBy('id').limit(filter.limit + 1)
  if (filter.startingAfter !== null) query = query.where('id', '>', filter.startingAfter)
  return await query.execute()
}

export async function creditorsByIds (db: Handle, ids: string[]): Promise<CreditorRow[]> {
  if (ids.length === 0) return []
  return await db.selectFrom('creditors').selectAll().where('id', 'in', ids).execute()
}

/** Creditor ids by folded name or alias. */
export async function creditorIdsByKeys (db: Handle, keys: string[]): Promise<Map<string, string>> {
  if (keys.length === 0) return new Map()
  const rows = await db.selectFrom('creditor_names').select(['key', 'creditor_id']).where('key', 'in', keys).execute()
  return new Map(rows.map((r) => [r.key, r.creditor_id]))
}

export async function insertCreditor (
  db: Handle,
  row: { name: string, aliases: string[], bin: string | null, agreement_kind: AgreementKind, commission_bps: number }
): Promise<CreditorRow> {
  return await db.insertInto('creditors').values(row).returningAll().executeTakeFirstOrThrow()
}

export async function updateCreditor (
  db: Handle, id: string,
  set: Partial<{
    name: string, aliases: string[], bin: string | null, agreement_kind: AgreementKind, commission_bps: number
  }>
): Promise<CreditorRow> {
  return await db.updateTable('creditors').set({ ...set, updated_at: new Date() }).where('id', '=', id)
    .returningAll().executeTakeFirstOrThrow()
}

/**
 * Claims these folded names for the creditor (a key it holds already is kept); returns the keys another creditor
 * holds, and the caller rolls back. A concurrent claim of the same key waits for the other's transaction.
 */
export async function claimNames (db: Handle, creditorId: string, keys: string[]): Promise<string[]> {
  if (keys.length === 0) return []
  await db.insertInto('creditor_names').values(keys.map((key) => ({ key, creditor_id: creditorId })))
    .onConflict((oc) => oc.column('key').doNothing()).execute()
  const taken = await db.selectFrom('creditor_names').select('key').where('key', 'in', keys)
    .where('creditor_id', '<>', creditorId).execute()
  return taken.map((t) => t.key)
}

/** Drops the creditor's keys not among these. */
export async function releaseNames (db: Handle, creditorId: string, keep: string[]): Promise<void> {
  await db.deleteFrom('creditor_names').where('creditor_id', '=', creditorId)
    .where(sql<boolean>`not (key = any(${keep}::text[]))`).execute()
}

/**
 * Creates a creditor for each folded name no creditor has, named as written (one statement each, safe against a
 * concurrent import creating the same: the name key decides, and the loser reads the winner's id). Returns the ones
 * this call created.
 */
export async function createMissingCreditors (
  db: Handle, names: Array<{ key: string, name: string }>
): Promise<Array<{ id: string, name: string, key: string }>> {
  const created: Array<{ id: string, name: string, key: string }> = []
  for (const { key, name } of names) {
    const result = await sql<{ id: string }>`
      with name as (
        insert into creditor_names (key, creditor_id) values (${key}, uuid_generate_v7())
        on conflict (key) do nothing returning creditor_id)
      insert into creditors (id, name) select creditor_id, ${name} from name returning id`.execute(db)
    const id = result.rows[0]?.id
    if (id !== undefined) created.push({ id, name, key })
  }
  return created
}
