import { createHash } from 'node:crypto'
import type { Database, Handle } from '../../db/database.js'
import { DomainError } from '../../lib/errors.js'
import { uuidv7, toPublicId } from '../../lib/ids.js'
import { DEFAULT_LANGUAGE, LANGUAGES, type Language } from '../../lib/languages.js'
import { recordAudit, type Actor } from '../audit/service.js'
import {
  findCurrentOffer, findCurrentVersion, findOfferVersion, insertOffers, languagesOfVersion, lockOffers, nextVersion,
  toOffer
} from './repository.js'
import type { Offer, PublishOfferInput } from './schemas.js'
import type { OffersTable } from './tables.js'

export function sha256Hex (text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

export async function getCurrentOffer (db: Database, language: Language): Promise<Offer> {
  const row = await findCurrentOffer(db, language)
  if (row === undefined) throw new DomainError('offer_not_found', `The current offer has no text in language ${language}`)
  return toOffer(row, await languagesOfVersion(db, row.version))
}

// offer cl. 24: a new version replaces the previous ones, which stay readable as evidence.
export async function getOfferVersion (db: Database, language: Language, version: number): Promise<Offer> {
  const row = await findOfferVersion(db, language, version)
  if (row === undefined) throw new DomainError('offer_not_found', `No offer version ${version} in language ${language}`)
  return toOffer(row, await languagesOfVersion(db, version))
}

type NewText = Omit<OffersTable, 'published_at' | 'id' | 'version' | 'published_by_key_id'>

/**
 * The texts the new version holds. `texts` names them all (ru required); the earlier `{language, text}` form names
 * one, and a kk or en text alone keeps the current version's ru text (and its title) beside it.
 */
async function textsToPublish (trx: Handle, input: PublishOfferInput): Promise<NewText[]> {
  const titleOf = (language: Language): string => input.titles?.[language] ?? input.title
  const given: Partial<Record<Language, string>> = input.texts ?? { [input.language ?? DEFAULT_LANGUAGE]: input.text }
  const texts: NewText[] = []
  for (const language of LANGUAGES) {
    const text = given[language]
    if (text !== undefined) texts.push({ language, title: titleOf(language), text, sha256: sha256Hex(text) })
  }
  if (given.ru === undefined) {
    const ru = await findCurrentOffer(trx, 'ru')
    if (ru === undefined) throw new DomainError('offer_not_found', 'No ru text to keep in the new version: publish texts.ru')
    texts.push({ language: 'ru', title: ru.title, text: ru.text, sha256: ru.sha256 })
  }
  return texts
}

/** DESIGN 19: a new version, with a text per language; it becomes current at once. */
export async function publishOffer (db: Database, actor: Actor, input: PublishOfferInput): Promise<Offer> {
  const answered: Language = input.texts === undefined ? (input.language ?? DEFAULT_LANGUAGE) : DEFAULT_LANGUAGE
  return await db.transaction().execute(async (trx) => {
    await lockOffers(trx)
    const version = await nextVersion(trx)
    const texts = await textsToPublish(trx, input)
    const rows = await insertOffers(trx, texts.map((text) => ({
      ...text, id: uuidv7(), version, published_by_key_id: actor.keyId
    })))
    const row = rows.find((r) => r.language === answered) as typeof rows[number]
    await recordAudit(trx, actor, {
      action: 'offer.published',
      entityType: 'offer',
      entityId: toPublicId('offer', row.id),
      details: {
        language: row.language,
        version,
        sha256: row.sha256,
        texts: Object.fromEntries(rows.map((r) => [r.language, { id: toPublicId('offer', r.id), sha256: r.sha256 }]))
      }
    })
    return toOffer(row, rows.map((r) => r.language))
  })
}

/** What an acceptance checks: the current version and the text of it in a language (undefined where none). */
export async function currentOfferIn (
  db: Handle, language: string
): Promise<{ version: number | undefined, row: Awaited<ReturnType<typeof findCurrentOffer>> }> {
  const version = await findCurrentVersion(db)
  return { version, row: version === undefined ? undefined : await findOfferVersion(db, language, version) }
}

export { findCurrentOffer } from './repository.js'
