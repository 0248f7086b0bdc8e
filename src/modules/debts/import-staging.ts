// One portfolio row as a line of `COPY debt_import_rows FROM STDIN` (text
// format), computed in the upload's stream: a valid row carries what the
// debt's write needs, its IIN and name already encrypted, the IIN's blind
// index and the row's fingerprint; a rejected row only its error, so a
// card number or an IIN in a broken row is stored nowhere.
import type { PiiCipher } from '../../lib/crypto.js'
import type { CsvRecord } from '../../lib/csv.js'
import { parseRow, type PortfolioRow, type HeaderMap, type RowError } from './import-rows.js'
import { debtRowSourceHash, iinIndex } from '../../lib/blind-index.js'

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

function rejectedLine (prefix: string, line: number, error: RowError): string {
  return `${prefix}${line}\t${NO_DATA}\t${error.code}\t${error.column ?? NULL}\t${copyText(error.message)}\n`
}

// COPY's text format cannot carry U+0000, and no portfolio field means one
// (a contract number holding one is already not a contract number)
function nulColumn (row: PortfolioRow): string | null {
  if (row.creditor.includes('\u0000')) return 'creditor'
  return row.debtorName.includes('\u0000') ? 'debtor_name' : null
}

/** A row the rules accepted, as the crypto needs it: every field a string, so it crosses to a worker thread as is. */
export type AcceptedRow = [
  line: string, contractNumber: string, contractNumberNormalized: string, iin: string, debtorName: string,
  creditor: string, claim: string
]

/**
 * The row rules, on the upload's thread: a rejected row is its COPY line
 * already (no crypto), an accepted one goes on to `acceptedLine`.
 */
export function checkRow (
  importId: string, record: CsvRecord, header: HeaderMap
): { rejected: string } | { accepted: AcceptedRow } {
  const parsed = parseRow(record, header)
  const prefix = `${importId}\t`
  if (!parsed.ok) return { rejected: rejectedLine(prefix, record.line, parsed.error) }
  const row = parsed.row
  const nul = nulColumn(row)
  if (nul !== null) return { rejected: rejectedLine(prefix, record.line, { code: 'invalid_character', column: nul, message: `${nul} holds a NUL character` }) }
  return {
    accepted: [
      String(record.line), row.contractNumber, row.contractNumberNormalized, row.iin, row.debtorName, row.creditor,
      row.outstanding.toString()
    ]
  }
}

/** The crypto of an accepted row (blind index, IIN and name encrypted, fingerprint) and its COPY line. */
export function acceptedLine (pii: PiiCipher, importId: string, row: AcceptedRow): string {
  const [line, contractNumber, contractNumberNormalized, iin, debtorName, creditor, claim] = row
  const fingerprint = debtRowSourceHash(pii, { contractNumber, iin, debtorName, creditor, claim })
  return `${importId}\t${line}\t${copyText(contractNumber)}\t${copyText(contractNumberNormalized)}\t${iinIndex(pii, iin)}\t` +
    `${pii.encrypt(iin)}\t${pii.encrypt(debtorName)}\t${copyText(creditor)}\t${claim}\t${fingerprint}\t${NULL}\t${NULL}\t${NULL}\n`
}
