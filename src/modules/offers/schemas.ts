import { Type, type Static } from '@sinclair/typebox'
import { publicIdPattern } from '../../lib/ids.js'
import { LANGUAGES } from '../../lib/languages.js'
import { StringEnum, Timestamp } from '../../http/schemas.js'

export const Language = StringEnum(LANGUAGES, {
  description: 'The language of the text: kk (Kazakh), ru (Russian), en (English)', examples: ['ru']
})

export const OfferSchema = Type.Object({
  id: Type.String({ pattern: publicIdPattern('offer'), examples: ['off_0193b3f2a4c07d1e8b5a2f6c9d0e1f23'] }),
  version: Type.Integer({
    minimum: 1, description: 'The offer version; the highest is current. One version holds a text per language'
  }),
  language: Language,
  languages: Type.Array(Language, {
    description: 'The languages this version has a text in (always ru); ask another with `?lang=`'
  }),
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
    languages: ['ru'],
    title: 'Договор публичной оферты',
    text: 'Договор публичной оферты …',
    sha256: 'b51c2b44993bc26d673ac4ed558341a351154dc9f650a2eaa172c700469907d1',
    publishedAt: '2026-11-25T10:00:00.000Z'
  }]
})
export type Offer = Static<typeof OfferSchema>

export const OfferQuery = Type.Object({
  lang: Type.Optional(StringEnum(LANGUAGES, {
    default: 'ru',
    description: 'The language of the text: kk, ru or en (another value is 400 `validation_failed`). ' +
      'A version without a text in it is 404 `offer_not_found`: show the ru text then'
  }))
}, { additionalProperties: false })

export const OfferVersionParams = Type.Object({
  version: Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Offer version number' })
}, { additionalProperties: false })

const LegalText = Type.String({ minLength: 1, maxLength: 500_000, description: 'The exact legal text; its SHA-256 is computed by the service' })
const Title = Type.String({ minLength: 1, maxLength: 300 })

export const PublishOfferBody = Type.Object({
  title: Type.String({
    minLength: 1, maxLength: 300, description: 'The title of every text of the version that `titles` does not name'
  }),
  texts: Type.Optional(Type.Object({ ru: LegalText, kk: Type.Optional(LegalText), en: Type.Optional(LegalText) }, {
    additionalProperties: false,
    description: 'The version\'s texts: ru required, kk and en optional. A language left out has no text in this version'
  })),
  titles: Type.Optional(Type.Object({ ru: Type.Optional(Title), kk: Type.Optional(Title), en: Type.Optional(Title) }, {
    additionalProperties: false, description: 'A title per language, where it differs from `title`'
  })),
  text: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 500_000,
    description: 'The earlier form: one text, in `language` (ru by default). Give `texts` or `text`, not both'
  })),
  language: Type.Optional(StringEnum(LANGUAGES, {
    description: 'With `text` only: its language. A kk or en text alone makes a new version that keeps ' +
      'the current version\'s ru text'
  }))
}, {
  additionalProperties: false,
  // exactly one form: `texts`, or `text` (with its `language`)
  oneOf: [
    { required: ['texts'], not: { anyOf: [{ required: ['text'] }, { required: ['language'] }] } },
    { required: ['text'], not: { required: ['texts'] } }
  ],
  examples: [
    { title: 'Договор публичной оферты (ред. 2)', texts: { ru: 'Договор публичной оферты …', kk: 'Жария оферта шарты …' }, titles: { kk: 'Жария оферта шарты (2-ред.)' } },
    { title: 'Договор публичной оферты (ред. 2)', text: 'Договор публичной оферты …' }
  ]
})
export type PublishOfferInput = Static<typeof PublishOfferBody>
