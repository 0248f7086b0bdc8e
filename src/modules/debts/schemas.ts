import { Type, type Static } from '@sinclair/typebox'
import { publicIdPattern } from '../../lib/ids.js'
import { MoneySchema, StringEnum, paginationQuery, Timestamp, NullableTimestamp, NullableString } from '../../http/schemas.js'
import { CONTRACT_NUMBER_MAX_LENGTH, CONTRACT_NUMBER_PATTERN } from '../../lib/names.js'
import { IinSearch } from '../../http/search.js'

export const DEBT_STATUSES = ['active', 'closed', 'recalled'] as const
export const DebtStatus = StringEnum(DEBT_STATUSES, { description: 'active: payable; closed: settled; recalled: taken back by the creditor' })
export const IMPORT_STATUSES = ['queued', 'running', 'completed', 'failed'] as const

const DebtId = Type.String({ pattern: publicIdPattern('debt'), examples: ['debt_0193b3f2a4c07d1e8b5a2f6c9d0e1f23'] })
/** DESIGN 17: the debt's account in every channel that cannot ask for an IIN (Kaspi), printed in letters. */
export const PaymentCode = Type.String({
  pattern: '^[0-9]{11}$',
  description: 'The debt\'s payment code: 10 random digits and a Luhn check digit, unique, never changed. It is the ' +
    'debt\'s account where no IIN can be asked (Kaspi) and is printed in letters; it reveals neither the IIN nor the ' +
    'contract number',
  examples: ['79927398713', '12345678903']
})
const Iin = Type.String({ minLength: 1, maxLength: 20, description: 'Debtor\'s IIN, 12 digits', examples: ['871008401427'] })
const ContractNumber = Type.String({
  minLength: 1,
  maxLength: CONTRACT_NUMBER_MAX_LENGTH,
  pattern: CONTRACT_NUMBER_PATTERN,
  description: 'Loan contract number as printed on the contract: letters, digits, spaces and `-/._#№()`',
  examples: ['КД-2024/0015']
})

export const LookupBody = Type.Object({ contractNumber: ContractNumber, iin: Iin }, {
  additionalProperties: false,
  examples: [{ contractNumber: 'КД-2024/0015', iin: '871008401427' }]
})
export type LookupInput = Static<typeof LookupBody>

export const DebtLookupSchema = Type.Object({
  debtId: DebtId,
  paymentCode: PaymentCode,
  contractNumber: Type.String(),
  creditor: Type.String({ description: 'The original lender' }),
  debtorName: Type.String({ description: 'Masked: first letter of each part', examples: ['И*** И*** И***'] }),
  outstanding: Type.Ref(MoneySchema),
  status: Type.Literal('active')
}, {
  $id: 'DebtLookup',
  additionalProperties: false,
  examples: [{ debtId: 'debt_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', paymentCode: '79927398713', contractNumber: 'КД-2024/0015', creditor: 'АО «Банк»', debtorName: 'И*** И*** И***', outstanding: { amount: 12500050, currency: 'KZT' }, status: 'active' }]
})
export type DebtLookup = Static<typeof DebtLookupSchema>

export const DebtSchema = Type.Object({
  id: DebtId,
  paymentCode: PaymentCode,
  contractNumber: Type.String(),
  creditor: Type.String(),
  creditorId: Type.String({ pattern: publicIdPattern('creditor'), description: 'The creditor\'s record (`/v1/admin/creditors`)' }),
  debtorName: Type.String(),
  debtorIinMasked: Type.String({ examples: ['8710******27'] }),
  outstanding: Type.Ref(MoneySchema),
  claimAmount: Type.Ref(MoneySchema),
  status: DebtStatus,
  importId: Type.Union([Type.String({ pattern: publicIdPattern('debtImport') }), Type.Null()]),
  createdAt: Timestamp,
  updatedAt: Timestamp
}, {
  $id: 'Debt',
  additionalProperties: false,
  examples: [{ id: 'debt_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', paymentCode: '79927398713', contractNumber: 'КД-2024/0015', creditor: 'АО «Банк»', creditorId: 'cred_0193b3f2a4c07d1e8b5a2f6c9d0e1f24', debtorName: 'Иванов Иван Иванович', debtorIinMasked: '8710******27', outstanding: { amount: 12500050, currency: 'KZT' }, claimAmount: { amount: 12500050, currency: 'KZT' }, status: 'active', importId: null, createdAt: '2026-11-25T10:00:00.000Z', updatedAt: '2026-11-25T10:00:00.000Z' }]
})
export type Debt = Static<typeof DebtSchema>

export const DebtListQuery = Type.Object({
  contractNumber: Type.Optional(ContractNumber),
  paymentCode: Type.Optional(PaymentCode),
  iin: Type.Optional(IinSearch),
  creditorId: Type.Optional(Type.String({
    pattern: publicIdPattern('creditor'),
    description: 'The creditor\'s record (`/v1/admin/creditors`)',
    examples: ['cred_0193b3f2a4c07d1e8b5a2f6c9d0e1f23']
  })),
  status: Type.Optional(DebtStatus),
  ...paginationQuery(publicIdPattern('debt'))
}, { additionalProperties: false })

export const DebtParams = Type.Object({ id: Type.String({ pattern: publicIdPattern('debt') }) }, { additionalProperties: false })
export const DebtPatchBody = Type.Object({ status: DebtStatus }, { additionalProperties: false, examples: [{ status: 'recalled' }] })

export const ImportErrorSchema = Type.Object({
  line: Type.Integer({ minimum: 1, description: 'Line in the file; the header is line 1' }),
  column: NullableString,
  code: Type.String({ description: 'missing_field, invalid_iin, invalid_amount, invalid_currency, invalid_contract_number, card_data_forbidden (a field holds what looks like a card number; the value is not kept), field_too_long, wrong_field_count, duplicate_in_file, invalid_character (a NUL character in a field)' }),
  message: Type.String()
}, { $id: 'DebtImportError', additionalProperties: false })

export const DebtImportSchema = Type.Object({
  id: Type.String({ pattern: publicIdPattern('debtImport') }),
  status: StringEnum(IMPORT_STATUSES),
  rowsTotal: Type.Integer({ description: 'Data rows in the file (the header not counted)' }),
  rowsImported: Type.Integer({ description: 'New debts, and known debts whose descriptive data (name, contract or creditor spelling) changed' }),
  rowsUnchanged: Type.Integer({ description: 'Rows identical to what an earlier import brought: nothing written' }),
  rowsAdjusted: Type.Integer({ description: 'Known debts whose claim changed: a claim_adjusted ledger entry for the difference (collections are kept)' }),
  rowsRejected: Type.Integer(),
  errors: Type.Array(Type.Ref(ImportErrorSchema), { description: 'The first 1000 rejected rows' }),
  creditorsCreated: Type.Array(Type.Object({
    id: Type.String({ pattern: publicIdPattern('creditor') }),
    name: Type.String()
  }, { additionalProperties: false }), { description: 'Creditors made for names no creditor had (matched folded: NFKC, case, quotes, spaces)' }),
  failureReason: NullableString,
  createdAt: Timestamp,
  startedAt: NullableTimestamp,
  finishedAt: NullableTimestamp
}, {
  $id: 'DebtImport',
  additionalProperties: false,
  examples: [{ id: 'imp_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', status: 'completed', rowsTotal: 3, rowsImported: 2, rowsUnchanged: 0, rowsAdjusted: 0, rowsRejected: 1, errors: [{ line: 3, column: 'debtor_iin', code: 'invalid_iin', message: 'not a valid IIN (checksum)' }], creditorsCreated: [], failureReason: null, createdAt: '2026-11-25T10:00:00.000Z', startedAt: '2026-11-25T10:00:01.000Z', finishedAt: '2026-11-25T10:00:09.000Z' }]
})
export type DebtImport = Static<typeof DebtImportSchema>

export const QueuedImportSchema = Type.Object({
  id: Type.String({ pattern: publicIdPattern('debtImport') }),
  status: Type.Literal('queued'),
  rowsTotal: Type.Integer()
}, { additionalProperties: false, examples: [{ id: 'imp_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', status: 'queued', rowsTotal: 100000 }] })

export const ImportParams = Type.Object({ id: Type.String({ pattern: publicIdPattern('debtImport') }) }, { additionalProperties: false })

/** A debt as a partner (and any event) sees it: amounts from the ledger, the debtor reduced to initials. */
export const PartnerDebtSchema = Type.Object({
  id: Type.String({ pattern: publicIdPattern('debt') }),
  paymentCode: PaymentCode,
  contractNumber: Type.String(),
  creditor: Type.String(),
  creditorId: Type.String({ pattern: publicIdPattern('creditor'), description: 'The creditor\'s record (`/v1/admin/creditors`)' }),
  debtorName: Type.String({ description: 'Initials only ("И. И.")' }),
  status: StringEnum(['active', 'closed', 'recalled']),
  claimAmount: Type.Ref(MoneySchema, { description: 'The claim: what the creditor assigned, with its adjustments (ledger)' }),
  collectedAmount: Type.Ref(MoneySchema, { description: 'Collected through this service, net of refunds and returns (ledger)' }),
  outstanding: Type.Ref(MoneySchema, { description: 'What is still owed: the receivable balance (ledger)' }),
  createdAt: Timestamp,
  updatedAt: Timestamp
}, {
  $id: 'PartnerDebt',
  additionalProperties: false,
  examples: [{ id: 'debt_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', paymentCode: '12345678903', contractNumber: 'КД-2024/0015', creditor: 'АО «Банк ЦентрКредит»', creditorId: 'cred_0193b3f2a4c07d1e8b5a2f6c9d0e1f24', debtorName: 'И. И.', status: 'active', claimAmount: { amount: 12500050, currency: 'KZT' }, collectedAmount: { amount: 150000, currency: 'KZT' }, outstanding: { amount: 12350050, currency: 'KZT' }, createdAt: '2026-11-20T08:00:00.000Z', updatedAt: '2026-11-25T10:02:11.000Z' }]
})
export type PartnerDebt = Static<typeof PartnerDebtSchema>
