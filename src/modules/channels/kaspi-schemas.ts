// The OpenAPI side of Kaspi's check/pay channel (DESIGN 17): its query parameters and its JSON answer, which is
// Kaspi's protocol and not a problem document. The route reads the parameters by hand (kaspi-request.ts); these
// schemas describe them for Kaspi's integrators and never refuse a request.
import { Type } from '@sinclair/typebox'
import { StringEnum } from '../../http/schemas.js'
import { KASPI_COMMANDS } from './kaspi-request.js'

export const KaspiQuery = Type.Object({
  command: StringEnum(KASPI_COMMANDS, {
    description: '`check`: whom the code pays and what is outstanding, nothing changes. `pay`: credit `sum`'
  }),
  txn_id: Type.String({
    pattern: '^[\\x21-\\x7e]{1,64}$',
    description: 'Kaspi\'s transaction id: a pay is credited once per txn_id, whatever repeats it',
    examples: ['20261125150211001']
  }),
  account: Type.String({
    pattern: '^[0-9]{11}$',
    description: 'The debt\'s payment code (11 digits, the last a Luhn check digit). Anything else is `result` 1',
    examples: ['48213907566']
  }),
  sum: Type.Optional(Type.String({
    pattern: '^(0|[1-9][0-9]{0,15})(\\.[0-9]{1,2})?$',
    description: '`pay`: tenge with at most two decimals, parsed exactly (no float); required and positive. ' +
      '`check` ignores it',
    examples: ['1500.00']
  })),
  txn_date: Type.Optional(Type.String({
    pattern: '^[0-9]{14}$',
    description: '`pay`: when Kaspi took the money, `YYYYMMDDHHMMSS` in Almaty time (UTC+5); the payment\'s `paidAt`. ' +
      'Without it, the moment the pay arrives. `check` ignores it',
    examples: ['20261125150211']
  }))
}, { additionalProperties: true })

export const KaspiAnswer = Type.Object({
  txn_id: Type.String({ description: 'The request\'s txn_id (empty when it had none that is valid)' }),
  prv_txn_id: Type.Optional(Type.String({
    pattern: '^[0-9]{1,20}$',
    description: '`pay` with `result` 0: our id of the transaction, the same on every repeat'
  })),
  result: Type.Unsafe<0 | 1 | 2 | 3 | 4 | 5>({
    type: 'integer',
    enum: [0, 1, 2, 3, 4, 5],
    description: '0 ok; 1 no debt has this payment code; 2 the creditor recalled the debt (check only: a pay is ' +
      'credited); 3 nothing is outstanding (check only: a pay is credited, the excess held as overpaid and flagged ' +
      'for review); 4 in progress, repeat the same request (a pay that did not finish within the deadline, waits ' +
      'for a pay of the same txn_id, or met a database failure: its outcome is settled by the repeat); 5 error: a ' +
      'missing or malformed parameter (see `comment`), or the service could not answer a check'
  }),
  sum: Type.String({
    pattern: '^-?[0-9]+\\.[0-9]{2}$',
    description: '`check`: the outstanding amount. `pay`: the sum credited. Tenge with two decimals'
  }),
  comment: Type.Optional(Type.String({ description: 'Why, in words (English)' })),
  fields: Type.Optional(Type.Object({
    debtor_name: Type.String({ description: 'Masked: each name\'s first letter (`С*** А*** М***`); never the IIN' }),
    creditor: Type.String(),
    contract_number: Type.String()
  }, { additionalProperties: false, description: '`check` with `result` 0: what the Kaspi app shows the payer' }))
}, {
  additionalProperties: false,
  description: 'Kaspi\'s protocol answer, always HTTP 200 `application/json`. A repeated pay gets the first answer ' +
    'byte for byte',
  examples: [
    {
      txn_id: '20261125150211001',
      result: 0,
      sum: '1500.00',
      fields: { debtor_name: 'С*** А*** М***', creditor: 'ТОО «Кредитор»', contract_number: 'KZ-2024-000123' }
    },
    { txn_id: '20261125150211001', prv_txn_id: '1000001', result: 0, sum: '1500.00', comment: 'OK' },
    { txn_id: '20261125150211002', result: 1, sum: '0.00', comment: 'No debt has this payment code' },
    { txn_id: '20261125150211003', result: 5, sum: '0.00', comment: 'sum must be tenge with at most two decimals, 1500.00' }
  ]
})
