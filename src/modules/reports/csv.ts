/**
 * RFC 4180 CSV for spreadsheets: CRLF line ends, a field quoted when it
 * holds a comma, quote or line break (quotes doubled), UTF-8 with a BOM so
 * Excel reads Cyrillic. A text cell that begins with `=`, `+`, `-`, `@`
 * (or a tab or CR) is prefixed with `'`, so a contract number or a
 * creditor's name can never run as a formula (OWASP CSV injection).
 * A plain number ("-1500.00") is written as it is: a number is never a
 * formula, and a negative total must stay a number in the spreadsheet.
 */
const FORMULA_START = /^[=+\-@\t\r]/
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/

export type CsvCell = string | number | bigint | null

export function csvCell (value: CsvCell): string {
  if (value === null) return ''
  if (typeof value !== 'string') return String(value)
  const text = FORMULA_START.test(value) && !PLAIN_NUMBER.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

export function toCsv (rows: CsvCell[][]): string {
  return '\uFEFF' + rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n'
}
