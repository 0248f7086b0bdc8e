import { Type, type Static } from '@sinclair/typebox'
import { publicIdPattern } from '../../lib/ids.js'
import { StringEnum, Timestamp } from '../../http/schemas.js'

const AgreementSchema = Type.Object({
  kind: StringEnum(['assignment', 'agency'] as const, {
    description: 'assignment: the agency bought the claims, nothing is owed on; agency: it collects for the ' +
      'creditor and owes what it collects, less its commission'
  }),
  commissionBps: Type.Integer({
    minimum: 0, maximum: 10000,
    description: 'The agency\'s commission in basis points (1% = 100), 0..10000; 0 under assignment'
  })
}, { additionalProperties: false })

export const CreditorSchema = Type.Object({
  id: Type.String({ pattern: publicIdPattern('creditor') }),
  name: Type.String(),
  aliases: Type.Array(Type.String(), { description: 'Other spellings a portfolio may use; matched folded, like the name' }),
  bin: Type.Union([Type.String(), Type.Null()], { description: 'Business identification number, 12 digits' }),
  agreement: AgreementSchema,
  payable: Type.Integer({
    description: 'Tiyn the agency owes the creditor now under its agency agreement (the ledger\'s ' +
      '`creditor_payable` account, less remittances); 0 for a creditor never owed anything'
  }),
  createdAt: Timestamp,
  updatedAt: Timestamp
}, {
  $id: 'Creditor',
  additionalProperties: false,
  examples: [{
    id: 'cred_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', name: 'АО «Банк ЦентрКредит»', aliases: ['BCC'], bin: '940140000385',
    agreement: { kind: 'agency', commissionBps: 1500 }, payable: 4375000, createdAt: '2026-11-25T10:00:00.000Z',
    updatedAt: '2026-11-25T10:00:00.000Z'
  }]
})
export type Creditor = Static<typeof CreditorSchema>

const Name = Type.String({ minLength: 1, maxLength: 200 })
const Aliases = Type.Array(Name, { maxItems: 50 })
const Bin = Type.String({ pattern: '^[0-9]{12}$', description: '12 digits with a valid check digit' })

export const CreateCreditorBody = Type.Object({
  name: Name,
  aliases: Type.Optional(Aliases),
  bin: Type.Optional(Type.Union([Bin, Type.Null()])),
  agreement: Type.Optional(AgreementSchema)
}, {
  additionalProperties: false,
  examples: [{ name: 'АО «Банк ЦентрКредит»', aliases: ['BCC'], agreement: { kind: 'agency', commissionBps: 1500 } }]
})
export type CreateCreditorInput = Static<typeof CreateCreditorBody>

export const PatchCreditorBody = Type.Object({
  name: Type.Optional(Name),
  aliases: Type.Optional(Aliases),
  bin: Type.Optional(Type.Union([Bin, Type.Null()])),
  agreement: Type.Optional(AgreementSchema)
}, { additionalProperties: false, minProperties: 1, examples: [{ name: 'АО «Банк ЦентрКредит» (BCC)' }] })
export type PatchCreditorInput = Static<typeof PatchCreditorBody>

export const CreditorParams = Type.Object({
  id: Type.String({ pattern: publicIdPattern('creditor') })
}, { additionalProperties: false })
