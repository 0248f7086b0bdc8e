import { sql } from 'kysely'
import type { Handle, Trx } from '../../db/database.js'
import { toPublicId } from '../../lib/ids.js'
import { isLanguage, LANGUAGES, type Language } from '../../lib/languages.js'
import type { Offer } from './schemas.js'
import type { OfferRow, OffersTable } from './tables.js'

/** The languages in the order an answer lists them; a legacy line's other language is not served. */
export function servedLanguages (languages: readonly string[]): Language[] {
  return LANGUAGES.filter((language) => languages.includes(language))
}

export function toOffer (row: OfferRow, languages: readonly string[]): Offer {
  if (!isLanguage(row.language)) throw new Error(`offer ${row.id}: language ${row.language} is not served`)
  return {
    id: toPublicId('offer', row.id),
    version: row.version,
    language: row.language,
    languages: servedLanguages(languages),
    title: row.title,
    text: row.text,
    sha256: row.sha256,
    publishedAt: row.published_at.toISOString()
  }
}

/** DESIGN 19: every version has a ru text, so the current version is the ru line's highest. */
export async function findCurrentVersion (db: Handle): Promise<number | undefined> {
  const row = await db.selectFrom('offers').select('version')
    .where('language', '=', 'ru').orderBy('version', 'desc').limit(1).executeTakeFirst()
  return row?.version
}

/** The current version's text in this language; undefined where that version has none. */
export async function findCurrentOffer (db: Handle, language: string): Promise<OfferRow | undefined> {
  const current = await findCurrentVersion(db)
  return current === undefined ? undefined : await findOfferVersion(db, language, current)
}

export async function findOfferVersion (db: Handle, language: string, version: number): Promise<OfferRow | undefined> {
  return await db.selectFrom('offers').selectAll()
    .where('language', '=', language).where('version', '=', version).executeTakeFirst()
}

export async function languagesOfVersion (db: Handle, version: number): Promise<string[]> {
  const rows = await db.selectFrom('offers').select('language').where('version', '=', version).execute()
  return rows.map((row) => row.language)
}

/** The number the next version takes: above every row's, a legacy language line's too, so none is ever shared. */
export async function nextVersion (db: Handle): Promise<number> {
  const row = await db.selectFrom('offers').select((eb) => eb.fn.max('version').as('version')).executeTakeFirst()
  return (row?.version ?? 0) + 1
}

/** Serialises publishers so two never take the same version number. */
export async function lockOffers (trx: Trx): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext('offers'))`.execute(trx)
}

export async function insertOffers (db: Handle, rows: Array<Omit<OffersTable, 'published_at'>>): Promise<OfferRow[]> {
  return await db.insertInto('offers').values(rows).returningAll().execute()
}
