import { Type, type Static } from '@sinclair/typebox'
import { publicIdPattern } from '../../lib/ids.js'
import { Timestamp } from '../../http/schemas.js'

export const Language = Type.String({ pattern: '^[a-z]{2}$', description: 'ISO 639-1 language code', examples: ['ru'] })

export const OfferSchema = Type.Object({
  id: Type.String({ pattern: publicIdPattern('offer'), examples: ['off_0193b3f2a4c07d1e8b5a2f6c9d0e1f23'] }),
  version: Type.Integer({ minimum: 1, description: 'Version number within the language; the highest is current' }),
  language: Language,
  title: Type.String(),
  text: Type.String({ description: 'The legal text, byte for byte as published' }),
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256 of the UTF-8 text; the client sends it back on acceptance as evidence of what was read' }),
  publishedAt: Timestamp
}, {
  $id: 'Offer',
  additionalProperties: false,
  examples: [{
    id: 'off_0193b3f2a4c07d1e8b5a2f6c9d0e1f23',
    version: 1,
    language: 'ru',
    title: 'Договор публичной оферты',
    text: 'Договор публичной оферты …',
    sha256: 'b51c2b44993bc26d673ac4ed558341a351154dc9f650a2eaa172c700469907d1',
    publishedAt: '2026-11-25T10:00:00.000Z'
  }]
})
export type Offer = Static<typeof OfferSchema>

export const OfferQuery = Type.Object({
  lang: Type.Optional(Type.String({ ...Language, default: 'ru' }))
}, { additionalProperties: false })

export const OfferVersionParams = Type.Object({
  version: Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Offer version number' })
}, { additionalProperties: false })

export const PublishOfferBody = Type.Object({
  language: Language,
  title: Type.String({ minLength: 1, maxLength: 300 }),
  text: Type.String({ minLength: 1, maxLength: 500_000, description: 'The exact legal text; its SHA-256 is computed by the service' })
}, { additionalProperties: false, examples: [{ language: 'ru', title: 'Договор публичной оферты (ред. 2)', text: 'Договор публичной оферты …' }] })
export type PublishOfferInput = Static<typeof PublishOfferBody>
