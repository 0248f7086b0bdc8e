import { Type, type Static } from '@sinclair/typebox'
import { publicIdPattern } from '../../lib/ids.js'
import { MAX_AMOUNT, StringEnum, Currency, Timestamp } from '../../http/schemas.js'

const SignedAmount = (description: string) => Type.Integer({ minimum: -MAX_AMOUNT, maximum: MAX_AMOUNT, description })
const Amount = (description: string) => Type.Integer({ minimum: 0, maximum: MAX_AMOUNT, description })

/**
 * A debt's ledger never shows `settlement` or `remittance` (they name no debt); the enum is the ledger's whole
 * vocabulary.
 */
export const ENTRY_KINDS = [
  'claim_assigned', 'claim_adjusted', 'claim_recalled', 'payment_received', 'refund_paid', 'payment_returned',
  'settlement', 'remittance'
] as const
export const ACCOUNT_KINDS = [
  'bank', 'claims', 'clearing', 'commission', 'creditor_payable', 'fees', 'overpaid', 'receivable'
] as const

export const LedgerEntrySchema = Type.Object({
  id: Type.String({ pattern: publicIdPattern('ledgerEntry') }),
  kind: StringEnum(ENTRY_KINDS),
  amount: SignedAmount('Integer tiyn, signed from the receivable\'s side: + raises what the debtor owes, - lowers it; 0 when the entry did not touch it (e.g. a payment wholly overpaid)'),
  createdAt: Timestamp,
  reference: Type.Object({
    type: StringEnum(['debt', 'import', 'payment', 'refund', 'settlement', 'remittance']),
    id: Type.String({ description: 'Public id of the referenced object: `debt_…`, `imp_…`, `pay_…` or `ref_…`' })
  }, { additionalProperties: false })
}, { $id: 'LedgerEntry', additionalProperties: false })

export const DebtLedgerSchema = Type.Object({
  debtId: Type.String({ pattern: publicIdPattern('debt') }),
  claimAmount: Amount('The claim per the ledger: assigned, adjusted, minus what the creditor recalled'),
  collectedAmount: Amount('Received for this debt net of refunds and returns'),
  outstanding: Amount('The receivable\'s balance: max(0, claim - collected); the entries\' amounts sum to it'),
  entries: Type.Array(Type.Ref(LedgerEntrySchema), { description: 'Oldest first' })
}, {
  $id: 'DebtLedger',
  additionalProperties: false,
  examples: [{
    debtId: 'debt_0193b3f2a4c07d1e8b5a2f6c9d0e1f23',
    claimAmount: 12000000,
    collectedAmount: 5000000,
    outstanding: 7000000,
    entries: [
      { id: 'le_0193b3f2a4c07d1e8b5a2f6c9d0e1f24', kind: 'claim_assigned', amount: 10000000, createdAt: '2026-11-25T10:00:00.000Z', reference: { type: 'import', id: 'imp_0193b3f2a4c07d1e8b5a2f6c9d0e1f20' } },
      { id: 'le_0193b3f2a4c07d1e8b5a2f6c9d0e1f25', kind: 'payment_received', amount: -5000000, createdAt: '2026-11-26T10:00:00.000Z', reference: { type: 'payment', id: 'pay_0193b3f2a4c07d1e8b5a2f6c9d0e1f21' } },
      { id: 'le_0193b3f2a4c07d1e8b5a2f6c9d0e1f26', kind: 'claim_adjusted', amount: 2000000, createdAt: '2026-11-27T10:00:00.000Z', reference: { type: 'import', id: 'imp_0193b3f2a4c07d1e8b5a2f6c9d0e1f22' } }
    ]
  }]
})
export type DebtLedger = Static<typeof DebtLedgerSchema>

export const TrialBalanceSchema = Type.Object({
  currency: Currency,
  accounts: Type.Array(Type.Object({
    kind: StringEnum(ACCOUNT_KINDS),
    count: Type.Integer({ minimum: 0, description: 'Accounts of this kind' }),
    balance: SignedAmount('Sum of their balances, debit-positive: receivable, clearing, bank and fees >= 0, ' +
      'claims, overpaid, creditor_payable (owed to agency-agreement creditors) and commission <= 0 normally')
  }, { additionalProperties: false })),
  total: SignedAmount('Sum of every balance: 0 when the books balance'),
  consistent: Type.Boolean({ description: 'The total is 0, every materialised balance equals the sum of its lines, and every entry\'s lines sum to 0' }),
  checkedAt: Timestamp
}, {
  $id: 'TrialBalance',
  additionalProperties: false,
  examples: [{
    currency: 'KZT',
    accounts: [
      { kind: 'bank', count: 1, balance: 2940000 }, { kind: 'claims', count: 2, balance: -12000000 },
      { kind: 'clearing', count: 2, balance: 2000000 }, { kind: 'commission', count: 1, balance: 0 },
      { kind: 'creditor_payable', count: 0, balance: 0 }, { kind: 'fees', count: 2, balance: 60000 },
      { kind: 'overpaid', count: 0, balance: 0 }, { kind: 'receivable', count: 1, balance: 7000000 }
    ],
    total: 0,
    consistent: true,
    checkedAt: '2026-11-27T10:00:00.000Z'
  }]
})
export type TrialBalance = Static<typeof TrialBalanceSchema>

export const DebtLedgerParams = Type.Object({ id: Type.String({ pattern: publicIdPattern('debt') }) }, { additionalProperties: false })
