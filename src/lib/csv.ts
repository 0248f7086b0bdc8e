/**
 * A streaming CSV reader (RFC 4180: quoted fields may hold the delimiter,
 * doubled quotes and line breaks). It keeps only the current record in
 * memory, so a portfolio of any size streams through in constant space.
 * Each record carries the line on which it starts (the header is line 1).
 */
export interface CsvRecord {
  line: number
  fields: string[]
}

export class CsvSyntaxError extends Error {
  constructor (readonly line: number, message: string) {
    super(`line ${line}: ${message}`)
  }
}

export type Delimiter = ',' | ';'

/** The delimiter of a header line: whichever of `,` and `;` it uses more. */
export function detectDelimiter (headerLine: string): Delimiter {
  const commas = headerLine.split(',').length
  const semicolons = headerLine.split(';').length
  return semicolons > commas ? ';' : ','
}

export class CsvReader {
  private field = ''
  private fields: string[] = []
  private inQuotes = false
  private quoteSeen = false // a quote just closed, or a doubled quote is pending
  private afterCr = false
  private line = 1
  private recordLine = 1
  private started = false

  constructor (private readonly delimiter: Delimiter) {}

  /** Feeds text; returns the records completed by it. */
  push (text: string): CsvRecord[] {
    const out: CsvRecord[] = []
    for (let i = 0; i < text.length; i++) {
      const ch = text[i] as string
      if (this.afterCr) {
        this.afterCr = false
        if (ch === '\n') continue
      }
      if (this.inQuotes) {
        if (this.quoteSeen) {
          this.quoteSeen = false
          if (ch === '"') { this.field += '"'; continue }
          this.inQuotes = false // the quote closed the field; fall through
        } else if (ch === '"') {
          this.quoteSeen = true
          continue
        } else {
          if (ch === '\n' || ch === '\r') {
            this.line++
            if (ch === '\r') this.afterCr = true
            this.field += '\n'
          } else {
            this.field += ch
          }
          this.started = true
          continue
        }
      }
      if (ch === '"' && this.field === '') {
        this.inQuotes = true
        this.started = true
      } else if (ch === this.delimiter) {
        this.fields.push(this.field)
        this.field = ''
        this.started = true
      } else if (ch === '\n' || ch === '\r') {
        if (ch === '\r') this.afterCr = true
        this.endRecord(out)
        this.line++
        this.recordLine = this.line
      } else {
        this.field += ch
        this.started = true
      }
    }
    return out
  }

  /** Ends the input; returns the last record if the file did not end with a newline. */
  end (): CsvRecord[] {
    if (this.inQuotes && !this.quoteSeen) throw new CsvSyntaxError(this.recordLine, 'a quoted field is not closed')
    this.inQuotes = false
    this.quoteSeen = false
    const out: CsvRecord[] = []
    this.endRecord(out)
    return out
  }

  private endRecord (out: CsvRecord[]): void {
    if (this.started) {
      this.fields.push(this.field)
      out.push({ line: this.recordLine, fields: this.fields })
    }
    this.fields = []
    this.field = ''
    this.started = false
  }
}
