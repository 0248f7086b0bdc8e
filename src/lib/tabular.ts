// A table (named columns, rows of cells) written as a file an accountant opens: CSV in two dialects, or XLSX by
// exceljs's streaming writer. The reports write through it, and so will the creditors' statements: a caller says
// what each column holds, this file says how each format writes it.
import { PassThrough, type Readable } from 'node:stream'
import { formatMinorUnits } from './money.js'

/**
 * What a column holds, which decides how each format writes it:
 * - `text`: as it is (in CSV a text beginning with `=`, `+`, `-`, `@` gets a `'`: never a formula);
 * - `integer`: a whole number (tiyn, a count);
 * - `tenge`: an amount given in tiyn, written in tenge with two decimals (`1500.00`, in excel-ru `1500,00`; in XLSX
 *   the number 1500 formatted `#,##0.00`);
 * - `time`: an instant already written as text (`2026-12-07T11:20:00+05:00`), kept as that text in every format.
 */
export type ColumnType = 'text' | 'integer' | 'tenge' | 'time'

export interface TableColumn {
  /** The header cell, the same in every format: what a parser reads a column by. */
  name: string
  type: ColumnType
  /** Width in characters in XLSX. */
  width?: number
}

export type TableCell = string | number | bigint | null

export interface Table {
  /** The sheet's name in XLSX (at most 31 characters). */
  sheet: string
  columns: readonly TableColumn[]
  /** One array per row, a cell per column; null is an empty cell. */
  rows: Iterable<TableCell[]>
}

/**
 * `default`: `,` between fields, `.` before decimals, CRLF, UTF-8 with a BOM (what the reports always wrote).
 * `excel-ru`: what Excel in a Russian locale opens as columns by double-click: `;` between fields, a decimal comma,
 * CRLF, UTF-8 with a BOM.
 */
export const CSV_DIALECTS = ['default', 'excel-ru'] as const
export type CsvDialect = (typeof CSV_DIALECTS)[number]

const FORMULA_START = /^[=+\-@\t\r]/
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/

export type CsvCell = TableCell

/**
 * One text field per RFC 4180: quoted when it holds the delimiter, a quote or a line break (quotes doubled). A text
 * beginning with `=`, `+`, `-`, `@` (or a tab or CR) is prefixed with `'`, so a contract number or a creditor's name
 * never runs as a formula (OWASP CSV injection); a plain number (`-1500.00`) is a number, never a formula.
 */
export function csvCell (value: CsvCell, delimiter: ',' | ';' = ','): string {
  if (value === null) return ''
  if (typeof value !== 'string') return String(value)
  const text = FORMULA_START.test(value) && !PLAIN_NUMBER.test(value) ? `'${value}` : value
  const special = delimiter === ',' ? /[",\r\n]/ : /[";\r\n]/
  return special.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** Rows of cells as the default dialect, header included: what the reports wrote before dialects. */
export function toCsv (rows: CsvCell[][]): string {
  return '\uFEFF' + rows.map((row) => row.map((cell) => csvCell(cell)).join(',')).join('\r\n') + '\r\n'
}

function tenge (value: TableCell): string | null {
  if (value === null) return null
  return formatMinorUnits(typeof value === 'bigint' ? value : BigInt(value))
}

/** The table as CSV text in a dialect, header first. */
export function tableCsv (table: Table, dialect: CsvDialect = 'default'): string {
  const delimiter = dialect === 'excel-ru' ? ';' : ','
  const out: string[] = ['\uFEFF', table.columns.map((column) => csvCell(column.name, delimiter)).join(delimiter), '\r\n']
  for (const row of table.rows) {
    const fields = table.columns.map((column, i) => {
      const value = row[i] ?? null
      if (column.type !== 'tenge') return csvCell(value, delimiter)
      const amount = tenge(value)
      // an amount is written as a number, never escaped: `-1500,00` must stay a number in the spreadsheet
      return amount === null ? '' : dialect === 'excel-ru' ? amount.replace('.', ',') : amount
    })
    out.push(fields.join(delimiter), '\r\n')
  }
  return out.join('')
}

/** A cell as exceljs writes it: tenge as a number of tenge, integers as numbers, text and times as text. */
function xlsxValue (type: ColumnType, value: TableCell): string | number | null {
  if (value === null) return null
  if (type === 'tenge') return Number(tenge(value))
  if (type === 'integer') return Number(value)
  return String(value)
}

/**
 * The table as an XLSX workbook of one sheet, written row by row by exceljs's streaming WorkbookWriter into the
 * stream returned (no shared strings table, so memory holds the row being written and the zip's buffers, not the
 * sheet). Header bold and frozen; tenge formatted `#,##0.00`. Text is a string cell: exceljs writes a formula only
 * when given one, so a creditor's `=HYPERLINK(…)` is text.
 */
export function tableXlsx (table: Table): Readable {
  const stream = new PassThrough()
  const write = async (): Promise<void> => {
    // loaded when a workbook is first asked for: a large library most processes never use (0.4 s to load)
    const { default: ExcelJS } = await import('exceljs')
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream, useStyles: true, useSharedStrings: false })
    const sheet = workbook.addWorksheet(table.sheet.slice(0, 31), { views: [{ state: 'frozen', ySplit: 1 }] })
    sheet.columns = table.columns.map((column) => ({
      key: column.name,
      width: column.width ?? (column.type === 'time' ? 26 : column.type === 'text' ? 20 : 14),
      ...(column.type === 'tenge' ? { style: { numFmt: '#,##0.00' } } : {})
    }))
    const header = sheet.addRow(table.columns.map((column) => column.name))
    header.font = { bold: true }
    header.commit()
    for (const row of table.rows) {
      sheet.addRow(table.columns.map((column, i) => xlsxValue(column.type, row[i] ?? null))).commit()
    }
    sheet.commit()
    await workbook.commit()
  }
  write().catch((error: unknown) => stream.destroy(error instanceof Error ? error : new Error(String(error))))
  return stream
}
