import type { PiiCipher } from '../../lib/crypto.js'
import type { CsvRecord } from '../../lib/csv.js'
import { parseRow, type DebtRow, type HeaderMap, type RowError } from './import-rows.js'

/**
 * One portfolio row as a line of `COPY debt_import_rows FROM STDIN` (text
 * format), computed in the upload's stream: a valid row carries what the
 * debt's write needs, its IIN and name already encrypted, the IIN's blind
 * index and the row's fingerprint; a rejected row only its error, so a
 * card number or an IIN in a broken row is stored nowhere.
 */
export const STAGING_COLUMNS = [
  'import_id', 'line', 'contract_number', 'contract_number_normalized', 'debtor_iin_index', 'debtor_iin_encrypted',
  'debtor_name_encrypted', 'creditor', 'claim_amount', 'source_hash', 'error_code', 'error_column', 'error_message'
] as const

const NULL = '\\N'
const NO_DATA = `${NULL}\t${NULL}\t${NULL}\t${NULL}\t${NULL}\t${NULL}\t${NULL}\t${NULL}`
const SPECIAL = /[\\\t\n\r]/
const SPECIAL_ALL = /[\\\t\n\r]/g
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' }

/** A value in COPY's text format: backslash, tab and line breaks escaped. */
function copyText (value: string): string {
  return SPECIAL.test(value) ? value.replace(SPECIAL_ALL, (ch) => ESCAPES[ch] as string) : value
}

/** The key a debt is known by: its normalised contract number and the IIN's blind index. */
export function iinIndex (pii: PiiCipher, iin: string): string {
  return pii.blindIndex(`iin:${iin}`)
}

/** HMAC of the row as the creditor sent it: a re-import of the same row changes nothing, even after payments. */
export function sourceHash (pii: PiiCipher, row: DebtRow): string {
  return pii.blindIndex(`debt-row:${JSON.stringify([row.contractNumber, row.iin, row.debtorName, row.creditor, row.outstanding.toString(), row.currency])}`)
}

function rejectedLine (prefix: string, line: number, error: RowError): string {
  return `${prefix}${line}\t${NO_DATA}\t${error.code}\t${error.column ?? NULL}\t${copyText(error.message)}\n`
}

// COPY's text format cannot carry U+0000, and no portfolio field means one
// (a contract number holding one is already not a contract number)
function nulColumn (row: DebtRow): string | null {
  if (row.creditor.includes('\u0000')) return 'creditor'
  return row.debtorName.includes('\u0000') ? 'debtor_name' : null
}

export function stagedLine (pii: PiiCipher, importId: string, record: CsvRecord, header: HeaderMap): string {
  const prefix = `${importId}\t`
  const parsed = parseRow(record.fields, header)
  if (!parsed.ok) return rejectedLine(prefix, record.line, parsed.error)
  const row = parsed.row
  const nul = nulColumn(row)
  if (nul !== null) return rejectedLine(prefix, record.line, { code: 'invalid_character', column: nul, message: `${nul} holds a NUL character` })
  return `${prefix}${record.line}\t${copyText(row.contractNumber)}\t${copyText(row.contractNumberNormalized)}\t${iinIndex(pii, row.iin)}\t` +
    `${pii.encrypt(row.iin)}\t${pii.encrypt(row.debtorName)}\t${copyText(row.creditor)}\t${row.outstanding}\t${sourceHash(pii, row)}\t${NULL}\t${NULL}\t${NULL}\n`
}
