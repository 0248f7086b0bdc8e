import { sql } from 'kysely'
import type { Handle, Trx } from '../../db/database.js'
import { toPublicId } from '../../lib/ids.js'
import type { Offer } from './schemas.js'
import type { OfferRow, OffersTable } from './tables.js'

export function toOffer (row: OfferRow): Offer {
  return {
    id: toPublicId('offer', row.id),
    version: row.version,
    language: row.language,
    title: row.title,
    text: row.text,
    sha256: row.sha256,
    publishedAt: row.published_at.toISOString()
  }
}

export async function findCurrentOffer (db: Handle, language: string): Promise<OfferRow | undefined> {
  return await db.selectFrom('offers').selectAll()
    .where('language', '=', language).orderBy('version', 'desc').limit(1).executeTakeFirst()
}

export async function findOfferVersion (db: Handle, language: string, version: number): Promise<OfferRow | undefined> {
  return await db.selectFrom('offers').selectAll()
    .where('language', '=', language).where('version', '=', version).executeTakeFirst()
}

/** Serialises publishers of one language so two never take the same version number. */
export async function lockOfferLanguage (trx: Trx, language: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`offers:${language}`}))`.execute(trx)
}

export async function insertOffer (db: Handle, row: Omit<OffersTable, 'published_at'>): Promise<OfferRow> {
  return await db.insertInto('offers').values(row).returningAll().executeTakeFirstOrThrow()
}
