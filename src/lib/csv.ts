/**
 * A streaming CSV reader (RFC 4180: quoted fields may hold the delimiter,
 * doubled quotes and line breaks). It keeps only the current record in
 * memory, so a portfolio of any size streams through in constant space.
 * Each record carries the line on which it starts (the header is line 1).
 *
 * STYLE 23: it knows its largest header, record and field. The first record
 * is the header; it must end within `maxHeaderLength` characters, and it
 * fixes the width: a later record keeps at most one field more than the
 * header (marked `tooWide`, the rest dropped unread), a field at most
 * `maxFieldLength` characters (cut, its record marked `longField`). A record
 * so marked is the consumer's row error; the reader's memory never grows
 * with the input.
 */
export interface CsvRecord {
  line: number
  fields: string[]
  /** The record has more fields than the header: `fields` holds the header's count and one more. */
  tooWide?: true
  /** The index of the first field longer than `maxFieldLength`, cut there. */
  longField?: number
}

export class CsvSyntaxError extends Error {
  constructor (readonly line: number, message: string) {
    super(`line ${line}: ${message}`)
  }
}

/** The header did not end within `maxHeaderLength` characters. */
export class CsvHeaderTooLong extends CsvSyntaxError {}

export type Delimiter = ',' | ';'

/** Characters kept of one field: the longest a portfolio holds is a name of 300. */
export const MAX_FIELD_LENGTH = 4096
/** Characters of the header line (and of the header record, if quotes carry it over a line break). */
export const MAX_HEADER_LENGTH = 64 * 1024

export interface CsvReaderOptions {
  /** Read from the header line when not given. */
  delimiter?: Delimiter
  maxFieldLength?: number
  maxHeaderLength?: number
}

const QUOTE = 34
const LF = 10
const CR = 13

/** The delimiter of a header line: whichever of `,` and `;` it uses more. */
export function detectDelimiter (headerLine: string): Delimiter {
  const commas = headerLine.split(',').length
  const semicolons = headerLine.split(';').length
  return semicolons > commas ? ';' : ','
}

/** The index of the first CR or LF of `text` before `end`, or -1. */
function lineBreak (text: string, end: number): number {
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i)
    if (code === LF || code === CR) return i
  }
  return -1
}

export class CsvReader {
  private field = ''
  private fields: string[] = []
  private longField: number | undefined
  private inQuotes = false
  private quoteSeen = false // a quote just closed, or a doubled quote is pending
  private afterCr = false
  private line = 1
  private recordLine = 1
  private started = false
  private delimiter: number | null
  /** The header line read so far, while the delimiter waits for it. */
  private headerLine = ''
  /** Characters given to the state machine while the header record is open. */
  private headerTaken = 0
  /** The header's field count, once it is read. */
  private width: number | null = null
  private readonly maxFieldLength: number
  private readonly maxHeaderLength: number

  constructor (options: CsvReaderOptions = {}) {
    this.delimiter = options.delimiter === undefined ? null : options.delimiter.charCodeAt(0)
    this.maxFieldLength = options.maxFieldLength ?? MAX_FIELD_LENGTH
    this.maxHeaderLength = options.maxHeaderLength ?? MAX_HEADER_LENGTH
  }

  /** Feeds text; returns the records completed by it. */
  push (text: string): CsvRecord[] {
    if (this.width !== null) return this.read(text)
    if (this.delimiter === null) {
      // the header line, found by looking at each character once, and at no more than the limit
      const room = this.maxHeaderLength - this.headerLine.length
      const at = lineBreak(text, Math.min(text.length, room + 1))
      if (at === -1) {
        if (text.length > room) throw this.headerTooLong()
        this.headerLine += text
        return []
      }
      const line = this.headerLine + text.slice(0, at)
      this.delimiter = detectDelimiter(line).charCodeAt(0)
      text = this.headerLine + text
      this.headerLine = ''
    }
    // the header record ends within the limit and its line break, however quotes carry it on
    const room = this.maxHeaderLength + 2 - this.headerTaken
    if (text.length <= room) {
      this.headerTaken += text.length
      return this.read(text)
    }
    const records = this.read(text.slice(0, room))
    this.headerTaken += room
    if (this.width === null) throw this.headerTooLong()
    return records.concat(this.read(text.slice(room)))
  }

  /** Ends the input; returns the last record if the file did not end with a newline. */
  end (): CsvRecord[] {
    if (this.delimiter === null) {
      // a file of its header line alone, without a line break: read now, the record ended below
      this.delimiter = detectDelimiter(this.headerLine).charCodeAt(0)
      this.read(this.headerLine)
      this.headerLine = ''
    }
    if (this.inQuotes && !this.quoteSeen) throw new CsvSyntaxError(this.recordLine, 'a quoted field is not closed')
    this.inQuotes = false
    this.quoteSeen = false
    const out: CsvRecord[] = []
    this.endRecord(out)
    return out
  }

  private headerTooLong (): CsvHeaderTooLong {
    return new CsvHeaderTooLong(1, `the header line is longer than ${this.maxHeaderLength} characters`)
  }

  /**
   * The state machine. Runs of ordinary characters are taken as one slice
   * (a portfolio is a million rows: a string built a character at a time
   * costs more than the rest of the row).
   */
  private read (text: string): CsvRecord[] {
    const out: CsvRecord[] = []
    const n = text.length
    const delimiter = this.delimiter as number
    let i = 0
    if (this.afterCr && n > 0) {
      this.afterCr = false
      if (text.charCodeAt(0) === LF) i = 1
    }
    while (i < n) {
      if (this.inQuotes) {
        if (this.quoteSeen) {
          this.quoteSeen = false
          if (text.charCodeAt(i) === QUOTE) { this.append('"'); i++; continue }
          this.inQuotes = false // the quote closed the field; read on unquoted
        } else {
          let j = i
          while (j < n) {
            const code = text.charCodeAt(j)
            if (code === QUOTE || code === LF || code === CR) break
            j++
          }
          if (j > i) { this.append(text.slice(i, j)); this.started = true }
          if (j === n) break
          const code = text.charCodeAt(j)
          if (code === QUOTE) { this.quoteSeen = true; i = j + 1; continue }
          // a line break inside quotes: one newline in the field, one more line
          this.line++
          this.append('\n')
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
        this.endField()
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
        this.append(text.slice(i, j))
        this.started = true
        i = j
      }
    }
    return out
  }

  /** Adds to the current field up to the limit; what is past it is dropped and the record marked. */
  private append (piece: string): void {
    const room = this.maxFieldLength - this.field.length
    if (piece.length <= room) { this.field += piece; return }
    // never empty once cut (the limit is above zero), so a quote after the cut is still a character
    if (room > 0) this.field += piece.slice(0, room)
    if (this.kept()) this.longField ??= this.fields.length
  }

  /** Whether the current field is kept: while the record is no wider than the header and one more. */
  private kept (): boolean {
    return this.width === null || this.fields.length <= this.width
  }

  private endField (): void {
    if (this.kept()) this.fields.push(this.field)
    this.field = ''
  }

  /**
   * The index after the line break at `at`: CRLF is one break, and a CR
   * ending the chunk may pair with the next one's LF.
   */
  private afterLineBreak (text: string, at: number): number {
    if (text.charCodeAt(at) !== CR) return at + 1
    if (at + 1 === text.length) { this.afterCr = true; return at + 1 }
    return text.charCodeAt(at + 1) === LF ? at + 2 : at + 1
  }

  private endRecord (out: CsvRecord[]): void {
    if (this.started) {
      this.endField()
      const record: CsvRecord = { line: this.recordLine, fields: this.fields }
      if (this.width === null) this.width = this.fields.length
      else if (this.fields.length > this.width) record.tooWide = true
      if (this.longField !== undefined) record.longField = this.longField
      out.push(record)
    }
    this.fields = []
    this.field = ''
    this.longField = undefined
    this.started = false
  }
}
