// An acquirer's payout registry (DESIGN 18): CSV `payout_id,payout_date,reference,amount,fee`, one payout per file.
// `reference` is the bank's payment id for cards, Kaspi's txn_id for Kaspi; amount and fee are tenge with up to two
// decimals, read exactly (0 <= fee <= amount). Bounded as a channel's registry is (lib/csv-upload.ts): fields at most
// 64 characters, the header at most 200, at most the configured lines. Every line names the same payout id and date:
// a file mixing payouts is refused whole (422 `invalid_csv`, the lines named), since the answer is one payout's.
import type { CsvRecord } from '../../lib/csv.js'
import { invalidCsv, readCsvUpload, shapeProblem } from '../../lib/csv-upload.js'
import { parseMajorUnits } from '../../lib/money.js'

export const PAYOUT_COLUMNS = ['payout_id', 'payout_date', 'reference', 'amount', 'fee'] as const
const FIELD_MAX = 64
const HEADER_MAX = 200
const IDENTIFIER = /^[0-9A-Za-z._/-]{1,64}$/
const DATE = /^\d{4}-\d{2}-\d{2}$/
/** An amount above this (tiyn) is no payment: the API's largest amount. */
const MAX_AMOUNT = 1_000_000_000_000_000n

export interface PayoutLine {
  line: number
  payoutId: string
  payoutDate: string
  reference: string
  /** Tiyn, parsed exactly from the file's tenge. */
  amount: bigint
  fee: bigint
}

function isDate (text: string): boolean {
  return DATE.test(text) && !Number.isNaN(Date.parse(`${text}T00:00:00Z`)) &&
    new Date(`${text}T00:00:00Z`).toISOString().slice(0, 10) === text
}

function readLine (record: CsvRecord): PayoutLine | string {
  const shape = shapeProblem(record, { columns: PAYOUT_COLUMNS, fieldMax: FIELD_MAX })
  if (shape !== null) return shape
  const [payoutId, payoutDate, reference, amountText, feeText] = record.fields.map((field) => field.trim()) as
    [string, string, string, string, string]
  if (!IDENTIFIER.test(payoutId)) return 'payout_id must be 1-64 letters, digits, dots, dashes, slashes or underscores'
  if (!isDate(payoutDate)) return 'payout_date must be a date, YYYY-MM-DD'
  if (!IDENTIFIER.test(reference)) return 'reference must be 1-64 letters, digits, dots, dashes, slashes or underscores'
  const amount = parseMajorUnits(amountText)
  if (amount === null || amount === 0n || amount > MAX_AMOUNT) return 'amount must be a positive amount in tenge, e.g. 1500.00'
  const fee = parseMajorUnits(feeText)
  if (fee === null) return 'fee must be an amount in tenge, e.g. 37.50 (0 for none)'
  if (fee > amount) return 'fee must not exceed amount'
  return { line: record.line, payoutId, payoutDate, reference, amount, fee }
}

/**
 * The payout's lines, in file order (a reference may repeat: that is an unmatched line, not a bad file). Throws
 * 422 `invalid_csv_header`, 422 `invalid_csv` (bad lines, another payout's line, no line at all) or 413
 * `payload_too_large`.
 */
export function readPayoutFile (file: Buffer, maxLines: number): PayoutLine[] {
  let first: PayoutLine | undefined
  const lines = readCsvUpload(file, {
    columns: PAYOUT_COLUMNS, fieldMax: FIELD_MAX, headerMax: HEADER_MAX, maxLines, what: 'payout'
  }, (record) => {
    const read = readLine(record)
    if (typeof read === 'string') return read
    first ??= read
    if (read.payoutId !== first.payoutId || read.payoutDate !== first.payoutDate) {
      return `one payout per file: line ${first.line} is payout ${first.payoutId} of ${first.payoutDate}, ` +
        `this line ${read.payoutId} of ${read.payoutDate}`
    }
    return read
  })
  if (lines.length === 0) throw invalidCsv('The payout has no lines; nothing was recorded')
  return lines
}
