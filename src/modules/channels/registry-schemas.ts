import { Type, type Static } from '@sinclair/typebox'
import { publicIdPattern } from '../../lib/ids.js'
import { StringEnum, Timestamp, paginationQuery } from '../../http/schemas.js'

const RegistryId = Type.String({ pattern: publicIdPattern('channelRegistry'), examples: ['creg_0193b3f2a4c07d1e8b5a2f6c9d0e1f23'] })
const PaymentId = Type.String({ pattern: publicIdPattern('payment') })
export const RegistryChannelSchema = StringEnum(['kaspi'], { description: 'The channel whose registry it is' })
const RegistryDate = Type.String({ format: 'date', description: 'The Asia/Almaty day the registry covers, YYYY-MM-DD', examples: ['2026-11-25'] })
const Tiyn = (description: string) => Type.Integer({ minimum: 0, description: `Tiyn: ${description}` })

const figures = {
  id: RegistryId,
  channel: RegistryChannelSchema,
  date: RegistryDate,
  lines: Type.Integer({ minimum: 0, description: 'Payment lines in the file' }),
  matched: Type.Integer({ minimum: 0, description: 'Lines that are our payments, with the same amount' })
}

export const ChannelRegistrySchema = Type.Object({
  ...figures,
  missingHere: Type.Array(Type.Object({
    txnId: Type.String(),
    account: Type.String({ description: 'The account (payment code) as the channel has it' }),
    sum: Tiyn('the channel\'s sum')
  }, { additionalProperties: false }), { description: 'In the channel\'s file, not with us: a payment the channel took that never reached us' }),
  missingThere: Type.Array(Type.Object({
    paymentId: PaymentId,
    txnId: Type.String(),
    amount: Tiyn('our payment\'s amount')
  }, { additionalProperties: false }), { description: 'Our payments of the channel paid that day, not in the file; each is flagged for review' }),
  amountMismatches: Type.Array(Type.Object({
    paymentId: PaymentId,
    txnId: Type.String(),
    ours: Tiyn('our payment\'s amount'),
    theirs: Tiyn('the channel\'s sum')
  }, { additionalProperties: false }), { description: 'Both have it, the sums differ; each payment is flagged for review' }),
  createdAt: Timestamp
}, {
  $id: 'ChannelRegistry',
  additionalProperties: false,
  examples: [{
    id: 'creg_0193b3f2a4c07d1e8b5a2f6c9d0e1f23',
    channel: 'kaspi',
    date: '2026-11-25',
    lines: 3,
    matched: 1,
    missingHere: [{ txnId: '18442190553', account: '40817310562', sum: 250000 }],
    missingThere: [{ paymentId: 'pay_0193b3f2a4c07d1e8b5a2f6c9d0e1f24', txnId: '18442190007', amount: 100000 }],
    amountMismatches: [{ paymentId: 'pay_0193b3f2a4c07d1e8b5a2f6c9d0e1f25', txnId: '18442190321', ours: 150000, theirs: 15000 }],
    createdAt: '2026-11-26T04:00:00.000Z'
  }]
})
export type ChannelRegistry = Static<typeof ChannelRegistrySchema>

export const ChannelRegistrySummarySchema = Type.Object({
  ...figures,
  missingHereCount: Type.Integer({ minimum: 0 }),
  missingThereCount: Type.Integer({ minimum: 0 }),
  amountMismatchCount: Type.Integer({ minimum: 0 }),
  createdAt: Timestamp
}, { $id: 'ChannelRegistrySummary', additionalProperties: false })

export const RegistryUploadQuery = Type.Object({
  channel: RegistryChannelSchema,
  date: RegistryDate
}, { additionalProperties: false })

export const RegistryListQuery = Type.Object({
  channel: Type.Optional(RegistryChannelSchema),
  date: Type.Optional(RegistryDate),
  ...paginationQuery(publicIdPattern('channelRegistry'))
}, { additionalProperties: false })

export const RegistryParams = Type.Object({ id: RegistryId }, { additionalProperties: false })
