import { Type, type Static } from '@sinclair/typebox'
import type { AgencyRequisites } from '../../config.js'

export const AgencySchema = Type.Object({
  name: Type.String(),
  bin: Type.String({ pattern: '^\\d{12}$', description: 'Business identification number' }),
  iban: Type.String({ description: 'Settlement account' }),
  bank: Type.String(),
  bic: Type.String(),
  address: Type.String(),
  supportEmail: Type.String({ format: 'email' }),
  supportPhone: Type.Union([Type.String(), Type.Null()]),
  website: Type.String({ format: 'uri' })
}, {
  $id: 'Agency',
  additionalProperties: false,
  examples: [{
    name: 'ТОО «Коллекторское агентство «Эксперт Плюс»',
    bin: '151040003422',
    iban: 'KZ58551A127100213KZT',
    bank: 'АО "Банк Фридом Финанс Казахстан"',
    bic: 'KSNVKZK',
    address: 'РК, г. Алматы, Ауэзовский район, ул. Толе би 298/2',
    supportEmail: 'OpenOffice@explus.kz',
    supportPhone: null,
    website: 'https://www.explus.kz/'
  }]
})
export type Agency = Static<typeof AgencySchema>

/** One place that turns configuration into the published requisites (receipts use it too). */
export function agencyOf (requisites: AgencyRequisites): Agency {
  return { ...requisites }
}
