import { Type, type Static } from '@sinclair/typebox'
import { AGENCY_DEFAULTS } from '../../config.js'
import { NullableString } from '../../http/schemas.js'

export const AgencySchema = Type.Object({
  name: Type.String(),
  bin: Type.String({ pattern: '^\\d{12}$', description: 'Business identification number' }),
  iban: Type.String({ description: 'Settlement account' }),
  bank: Type.String(),
  bic: Type.String(),
  address: Type.String(),
  supportEmail: Type.String({ format: 'email' }),
  supportPhone: NullableString,
  website: Type.String({ format: 'uri' })
}, {
  $id: 'Agency',
  additionalProperties: false,
  // the requisites printed in the offer, as configured by default
  examples: [AGENCY_DEFAULTS]
})
export type Agency = Static<typeof AgencySchema>
