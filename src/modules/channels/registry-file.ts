// A channel's daily registry file (DESIGN 17): Kaspi's CSV of the day's payments, `txn_id,txn_date,account,sum`.
//
// STYLE 23: bounded where it is read. The route caps the bytes (CHANNEL_REGISTRY_MAX_BYTES) before this sees them;
// here the header is exactly the four columns (at most 200 characters), every field at most 64 characters (a longer
// one is cut by the reader and is a line error), a line at most four fields, and at most CHANNEL_REGISTRY_MAX_LINES
// lines. Every line is checked: a file with any bad line is refused whole (422, the bad lines named, at most 100),
// since a registry is compared as one fact and a half-read one would report payments missing that are not.
import type { CsvRecord } from '../../lib/csv.js'
import { readCsvUpload, shapeProblem } from '../../lib/csv-upload.js'
import { containsCardNumber } from '../../lib/card-data.js'
import { parseMajorUnits } from '../../lib/money.js'
import { isPaymentCode } from '../../lib/payment-code.js'
import { KASPI_TOKEN } from './kaspi-request.js'

export const REGISTRY_COLUMNS = ['txn_id', 'txn_date', 'account', 'sum'] as const
const FIELD_MAX = 64
const HEADER_MAX = 200
const TXN_DATE = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/
/** A sum above this (tiyn) is no payment: the API's largest amount. */
const MAX_SUM = 1_000_000_000_000_000n

export interface RegistryLine {
  line: number
  txnId: string
  account: string
  /** Tiyn, parsed exactly from the file's tenge. */
  sum: bigint
}

/** `YYYYMMDDHHMMSS`, a real date and time (Asia/Almaty, as Kaspi writes it). */
function isTxnDate (text: string): boolean {
  const match = TXN_DATE.exec(text)
  if (match === null) return false
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as
    [number, number, number, number, number, number]
  const at = new Date(Date.UTC(year, month - 1, day, hour, minute, second))
  return at.getUTCFullYear() === year && at.getUTCMonth() === month - 1 && at.getUTCDate() === day &&
    at.getUTCHours() === hour && at.getUTCMinutes() === minute && at.getUTCSeconds() === second
}

/** What is wrong with a line, or its payment. */
function readLine (record: CsvRecord): RegistryLine | string {
  const shape = shapeProblem(record, { columns: REGISTRY_COLUMNS, fieldMax: FIELD_MAX })
  if (shape !== null) return shape
  const [txnId, txnDate, account, sumText] = record.fields.map((field) => field.trim()) as
    [string, string, string, string]
  // the channel's own rule: a txn_id it credited is never a line error here
  if (!KASPI_TOKEN.test(txnId)) return 'txn_id must be 1-64 printable ASCII characters'
  if (!isTxnDate(txnDate)) return 'txn_date must be a date and time, YYYYMMDDHHMMSS'
  if (account === '') return 'account is empty'
  // the payer typed the account into Kaspi's app: whatever it is, a card number is never kept
  if (!isPaymentCode(account) && containsCardNumber(account)) return 'account looks like a card number'
  const sum = parseMajorUnits(sumText)
  if (sum === null || sum === 0n || sum > MAX_SUM) return 'sum must be a positive amount in tenge, e.g. 1500.00'
  return { line: record.line, txnId, account, sum }
}

/**
 * The file's payment lines, each checked, a txn_id at most once. Throws 422 `invalid_csv_header`, 422 `invalid_csv`
 * (with the bad lines) or 413 `payload_too_large` (more than `maxLines` lines).
 */
export function readRegistryFile (file: Buffer, maxLines: number): RegistryLine[] {
  const seen = new Map<string, number>()
  return readCsvUpload(file, {
    columns: REGISTRY_COLUMNS, fieldMax: FIELD_MAX, headerMax: HEADER_MAX, maxLines, what: 'registry'
  }, (record) => {
    const read = readLine(record)
    if (typeof read === 'string') return read
    const first = seen.get(read.txnId)
    if (first !== undefined) return `txn_id ${read.txnId} is on line ${first} already`
    seen.set(read.txnId, read.line)
    return read
  })
}
