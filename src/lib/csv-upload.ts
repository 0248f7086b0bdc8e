// A small CSV file uploaded whole (a channel's registry, an acquirer's payout): UTF-8, comma separated, an exact
// header, every line checked. STYLE 23: bounded where it is read. The caller caps the bytes before this sees them;
// here the header is at most `headerMax` characters, every field at most `fieldMax` (a longer one is cut by the
// reader and is a line error), a line at most the header's width, and at most `maxLines` lines. A file with any bad
// line is refused whole (422 `invalid_csv`, the bad lines named as `body.line[N]`, at most 100).
import { CsvHeaderTooLong, CsvReader, CsvSyntaxError, type CsvRecord } from './csv.js'
import { DomainError, type FieldError } from './errors.js'

const ERRORS_SHOWN = 100

export interface CsvUpload {
  columns: readonly string[]
  fieldMax: number
  headerMax: number
  maxLines: number
  /** What the file is, in messages: "registry", "payout". */
  what: string
}

export function invalidCsv (detail: string, errors?: FieldError[]): DomainError {
  return new DomainError('invalid_csv', detail, errors === undefined ? {} : { errors })
}

/** The shape every line must have: as many fields as the header, none cut. */
export function shapeProblem (record: CsvRecord, upload: Pick<CsvUpload, 'columns' | 'fieldMax'>): string | null {
  if (record.tooWide === true || record.fields.length !== upload.columns.length) {
    return `expected ${upload.columns.length} fields (${upload.columns.join(',')})`
  }
  if (record.longField !== undefined) {
    return `${upload.columns[record.longField] ?? 'a field'} is longer than ${upload.fieldMax} characters`
  }
  return null
}

/**
 * The file's lines, each read by `readLine` (a string is what is wrong with it). Throws 422 `invalid_csv_header`,
 * 422 `invalid_csv` (with the bad lines) or 413 `payload_too_large` (more than `maxLines` lines).
 */
export function readCsvUpload<T> (
  file: Buffer, upload: CsvUpload, readLine: (record: CsvRecord) => T | string
): T[] {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(file) // a leading BOM is dropped
  } catch {
    throw invalidCsv('The file is not valid UTF-8')
  }
  const reader = new CsvReader({ delimiter: ',', maxFieldLength: upload.fieldMax, maxHeaderLength: upload.headerMax })
  let records: CsvRecord[]
  try {
    records = [...reader.push(text), ...reader.end()]
  } catch (error) {
    if (error instanceof CsvHeaderTooLong) throw headerError(upload.columns)
    if (error instanceof CsvSyntaxError) throw invalidCsv(`The file is not valid CSV: ${error.message}`)
    throw error
  }
  const [header, ...rows] = records
  if (header === undefined || header.fields.map((f) => f.trim().toLowerCase()).join(',') !== upload.columns.join(',')) {
    throw headerError(upload.columns)
  }
  if (rows.length > upload.maxLines) {
    throw new DomainError('payload_too_large',
      `The ${upload.what} has ${rows.length} lines; at most ${upload.maxLines} are read`)
  }
  const lines: T[] = []
  const errors: FieldError[] = []
  let bad = 0
  for (const record of rows) {
    const read = readLine(record)
    if (typeof read !== 'string') {
      lines.push(read)
      continue
    }
    bad++
    if (errors.length < ERRORS_SHOWN) errors.push({ path: `body.line[${record.line}]`, message: read })
  }
  if (bad > 0) {
    const shown = bad > ERRORS_SHOWN ? ` (the first ${ERRORS_SHOWN} listed)` : ''
    throw invalidCsv(`${bad} line(s) of the ${upload.what} are not valid${shown}; nothing was recorded`, errors)
  }
  return lines
}

function headerError (columns: readonly string[]): DomainError {
  return new DomainError('invalid_csv_header', `The header row is not usable. Expected: ${columns.join(',')}`)
}
