import { createHash } from 'node:crypto'
import type { Database } from '../../db/database.js'
import { DomainError } from '../../lib/errors.js'
import { uuidv7, toPublicId } from '../../lib/ids.js'
import { recordAudit, type Actor } from '../audit/service.js'
import { findCurrentOffer, findOfferVersion, insertOffer, lockOfferLanguage, toOffer } from './repository.js'
import type { Offer, PublishOfferInput } from './schemas.js'

export function sha256Hex (text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

export async function getCurrentOffer (db: Database, language: string): Promise<Offer> {
  const row = await findCurrentOffer(db, language)
  if (row === undefined) throw new DomainError('offer_not_found', `No offer is published in language ${language}`)
  return toOffer(row)
}

// offer cl. 24: a new version replaces the previous ones, which stay readable as evidence.
export async function getOfferVersion (db: Database, language: string, version: number): Promise<Offer> {
  const row = await findOfferVersion(db, language, version)
  if (row === undefined) throw new DomainError('offer_not_found', `No offer version ${version} in language ${language}`)
  return toOffer(row)
}

export async function publishOffer (db: Database, actor: Actor, input: PublishOfferInput): Promise<Offer> {
  return await db.transaction().execute(async (trx) => {
    await lockOfferLanguage(trx, input.language)
    const current = await findCurrentOffer(trx, input.language)
    const row = await insertOffer(trx, {
      id: uuidv7(),
      language: input.language,
      version: (current?.version ?? 0) + 1,
      title: input.title,
      text: input.text,
      sha256: sha256Hex(input.text),
      published_by_key_id: actor.keyId
    })
    await recordAudit(trx, actor, {
      action: 'offer.published',
      entityType: 'offer',
      entityId: toPublicId('offer', row.id),
      details: { language: row.language, version: row.version, sha256: row.sha256 }
    })
    return toOffer(row)
  })
}

export { findCurrentOffer } from './repository.js'
