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

const QUOTE = 34
const LF = 10
const CR = 13

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

  /**
   * Feeds text; returns the records completed by it. Runs of ordinary
   * characters are taken as one slice (a portfolio is a million rows: a
   * string built a character at a time costs more than the rest of the row).
   */
  push (text: string): CsvRecord[] {
    const out: CsvRecord[] = []
    const n = text.length
    const delimiter = this.delimiter.charCodeAt(0)
    let i = 0
    if (this.afterCr && n > 0) {
      this.afterCr = false
      if (text.charCodeAt(0) === LF) i = 1
    }
    while (i < n) {
      if (this.inQuotes) {
        if (this.quoteSeen) {
          this.quoteSeen = false
          if (text.charCodeAt(i) === QUOTE) { this.field += '"'; i++; continue }
          this.inQuotes = false // the quote closed the field; read on unquoted
        } else {
          let j = i
          while (j < n) {
            const code = text.charCodeAt(j)
            if (code === QUOTE || code === LF || code === CR) break
            j++
          }
          if (j > i) { this.field += text.slice(i, j); this.started = true }
          if (j === n) break
          const code = text.charCodeAt(j)
          if (code === QUOTE) { this.quoteSeen = true; i = j + 1; continue }
          // a line break inside quotes: one newline in the field, one more line
          this.line++
          this.field += '\n'
          this.started = true
          i = this.afterLineBreak(text, j)
          continue
        }
      }
      const code = text.charCodeAt(i)
      if (code === QUOTE && this.field === '') {
        this.inQuotes = true
        this.started = true
        i++
      } else if (code === delimiter) {
        this.fields.push(this.field)
        this.field = ''
        this.started = true
        i++
      } else if (code === LF || code === CR) {
        this.endRecord(out)
        this.line++
        this.recordLine = this.line
        i = this.afterLineBreak(text, i)
      } else {
        let j = i + 1
        while (j < n) {
          const next = text.charCodeAt(j)
          if (next === delimiter || next === LF || next === CR) break
          j++
        }
        this.field += text.slice(i, j)
        this.started = true
        i = j
      }
    }
    return out
  }

  /** The index after the line break at `at`: CRLF is one break, and a CR ending the chunk may pair with the next one's LF. */
  private afterLineBreak (text: string, at: number): number {
    if (text.charCodeAt(at) !== CR) return at + 1
    if (at + 1 === text.length) { this.afterCr = true; return at + 1 }
    return text.charCodeAt(at + 1) === LF ? at + 2 : at + 1
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
