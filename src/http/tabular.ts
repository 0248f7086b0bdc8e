// Answering a tabular resource (a report, a statement) in the format the client's Accept asks for: JSON, CSV (with
// `?csvDialect=`) or XLSX, each written by src/lib/tabular.ts from the same columns and rows.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type, type TSchema } from '@sinclair/typebox'
import { CSV_DIALECTS, tableCsv, tableXlsx, type CsvDialect, type Table } from '../lib/tabular.js'
import type { Readable } from 'node:stream'
import { StringEnum } from './schemas.js'
import { AppError } from './errors.js'

export const XLSX_MEDIA_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

export type TabularFormat = 'json' | 'csv' | 'xlsx'

const MEDIA_TYPES: Record<TabularFormat, string> = { json: 'application/json', csv: 'text/csv', xlsx: XLSX_MEDIA_TYPE }

/** On a tie of q-values the more specific file wins (an `Accept: text/csv, application/json` got CSV before). */
const TIE_ORDER: readonly TabularFormat[] = ['xlsx', 'csv', 'json']

/**
 * The format an Accept header asks for, read with its q-values: the offered type of highest q (`q=0` refuses it),
 * `*` wildcards counting for JSON. No header is JSON; one naming nothing offered (or refusing
 * everything offered) is null: 406 `not_acceptable` (DESIGN 23).
 */
export function tabularFormat (accept: string | undefined): TabularFormat | null {
  if (accept === undefined || accept.trim() === '') return 'json'
  const exact = new Map<string, number>()
  let wildcard: number | undefined
  for (const range of accept.split(',')) {
    const [type = '', ...params] = range.split(';').map((part) => part.trim().toLowerCase())
    const q = params.map((p) => /^q=([01](?:\.\d{0,3})?)$/.exec(p)).find((m) => m !== null)
    const weight = q === undefined || q === null ? 1 : Number(q[1])
    if (type === '*/*' || type === 'application/*') wildcard = Math.max(wildcard ?? 0, weight)
    else exact.set(type, Math.max(exact.get(type) ?? 0, weight))
  }
  let best: TabularFormat | null = null
  let bestQ = 0
  for (const format of TIE_ORDER) {
    const q = exact.get(MEDIA_TYPES[format]) ?? (format === 'json' ? wildcard ?? 0 : 0)
    if (q > bestQ) { best = format; bestQ = q }
  }
  return best
}

export const CsvDialectQuery = StringEnum([...CSV_DIALECTS], {
  description: 'The CSV\'s dialect: `default` (`,`, decimal point) or `excel-ru` (`;`, decimal comma, for Excel in a ' +
    'Russian locale); both UTF-8 with a BOM and CRLF. Only with `Accept: text/csv`.'
})

/**
 * The 200 of a tabular resource in the OpenAPI document: its JSON schema, and the CSV and XLSX files described.
 */
export function tabularContent (json: TSchema, csv: string, xlsx: string): Record<string, { schema: TSchema }> {
  return {
    'application/json': { schema: json },
    'text/csv': { schema: Type.String({ description: csv }) },
    [XLSX_MEDIA_TYPE]: { schema: Type.String({ format: 'binary', description: xlsx }) }
  }
}

/**
 * Sends the table as the file asked for (CSV or XLSX) with its filename (no extension: it is added); the caller
 * answers JSON itself. Every answer of a negotiated resource varies by Accept.
 */
export function sendTable (
  reply: FastifyReply, table: Table, format: Exclude<TabularFormat, 'json'>,
  options: { filename: string, dialect?: CsvDialect | undefined }
): string | Readable {
  const filename = `${options.filename}.${format}`
  void reply.header('content-disposition', `attachment; filename="${filename}"`)
  if (format === 'csv') {
    void reply.header('content-type', 'text/csv; charset=utf-8')
    return tableCsv(table, options.dialect ?? 'default')
  }
  void reply.header('content-type', XLSX_MEDIA_TYPE)
  return tableXlsx(table)
}

/** Marks an answer as chosen by Accept, whatever its format (caches keep one per format). */
export function varyByAccept (request: FastifyRequest, reply: FastifyReply): TabularFormat {
  void reply.header('vary', 'Accept')
  const format = tabularFormat(request.headers.accept)
  if (format === null) {
    throw new AppError(406, 'not_acceptable', 'Not acceptable',
      `Accept names none of the types offered here: ${Object.values(MEDIA_TYPES).join(', ')}`)
  }
  return format
}
