// The rules of one portfolio row, pure: header mapping, then each field.
// Messages never repeat a value: they end up in an import report, and the
// values are IINs and names.
import { validateIin } from '../../lib/iin.js'
import { CURRENCY, parseMajorUnits } from '../../lib/money.js'
import { containsCardNumber } from '../../lib/card-data.js'
import { isContractNumber, normalizeContractNumber, normalizeName } from '../../lib/names.js'
import { MAX_FIELD_LENGTH, type CsvRecord } from '../../lib/csv.js'

export const REQUIRED_COLUMNS = ['contract_number', 'debtor_iin', 'debtor_name', 'creditor', 'outstanding'] as const
export const OPTIONAL_COLUMNS = ['currency'] as const
type Column = typeof REQUIRED_COLUMNS[number] | typeof OPTIONAL_COLUMNS[number]

export type HeaderMap = Partial<Record<Column, number>> & { width: number }

export class HeaderError extends Error {}

export function mapHeader (fields: string[]): HeaderMap {
  const names = fields.map((f, i) => (i === 0 ? f.replace(/^\uFEFF/, '') : f).trim().toLowerCase())
  const map: HeaderMap = { width: names.length }
  const known = new Set<string>([...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS])
  for (const [i, name] of names.entries()) {
    if (!known.has(name)) throw new HeaderError(containsCardNumber(name) ? 'unknown column (it looks like a card number)' : `unknown column "${name.slice(0, 40)}"`)
    if (map[name as Column] !== undefined) throw new HeaderError(`column "${name}" appears twice`)
    map[name as Column] = i
  }
  const missing = REQUIRED_COLUMNS.filter((c) => map[c] === undefined)
  if (missing.length > 0) throw new HeaderError(`missing column(s): ${missing.join(', ')}`)
  return map
}

/** A row of a portfolio CSV as parsed (not a database row: that is DebtRow in tables.ts). */
export interface PortfolioRow {
  contractNumber: string
  contractNumberNormalized: string
  iin: string
  debtorName: string
  creditor: string
  outstanding: bigint
  currency: typeof CURRENCY
}

export interface RowError {
  code: 'missing_field' | 'invalid_iin' | 'invalid_amount' | 'invalid_currency' | 'invalid_contract_number' | 'card_data_forbidden' | 'field_too_long' | 'wrong_field_count' | 'duplicate_in_file' | 'invalid_character'
  column: string | null
  message: string
}

const MAX_LENGTH: Record<string, number> = { contract_number: 100, debtor_name: 300, creditor: 300 }

const CARD_DATA: Omit<RowError, 'column'> = { code: 'card_data_forbidden', message: 'holds what looks like a card number; card data is never imported, and the row is not kept' }

/**
 * offer cl. 3: no card number enters the service, from a portfolio either.
 * The contract number is read by its own format (a contract of 16 Luhn-valid
 * digits is a contract); every other field is free text to the guard.
 */
function cardDataColumn (fields: string[], header: HeaderMap): string | null {
  for (const column of [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS]) {
    const index = header[column]
    if (index === undefined) continue
    const value = fields[index] ?? ''
    if (column === 'contract_number' && isContractNumber(value)) continue
    if (containsCardNumber(value)) return column
  }
  return null
}

type ParsedRecord = Pick<CsvRecord, 'fields' | 'tooWide' | 'longField'>
type Parsed = { ok: true, row: PortfolioRow } | { ok: false, error: RowError }

/** The reader's marks on a record (lib/csv.ts): wider than the header, or a field cut at the reader's limit. */
function boundsError (record: ParsedRecord, header: HeaderMap): RowError | null {
  if (record.tooWide === true) {
    return { code: 'wrong_field_count', column: null, message: `expected ${header.width} fields, found more` }
  }
  if (record.longField === undefined) return null
  const column = [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS].find((c) => header[c] === record.longField) ?? null
  const message = `${column ?? 'a field'} is longer than ${MAX_FIELD_LENGTH} characters`
  return { code: 'field_too_long', column, message }
}

export function parseRow (record: ParsedRecord, header: HeaderMap): Parsed {
  const bounds = boundsError(record, header)
  if (bounds !== null) return { ok: false, error: bounds }
  const fields = record.fields
  if (fields.length !== header.width) {
    return { ok: false, error: { code: 'wrong_field_count', column: null, message: `expected ${header.width} fields, found ${fields.length}` } }
  }
  const cardColumn = cardDataColumn(fields, header)
  if (cardColumn !== null) return { ok: false, error: { ...CARD_DATA, column: cardColumn } }
  const value = (column: Column): string => (header[column] === undefined ? '' : (fields[header[column]] ?? '').trim())
  for (const column of REQUIRED_COLUMNS) {
    if (value(column) === '') return { ok: false, error: { code: 'missing_field', column, message: `${column} is empty` } }
    const max = MAX_LENGTH[column]
    if (max !== undefined && value(column).length > max) return { ok: false, error: { code: 'field_too_long', column, message: `${column} is longer than ${max} characters` } }
  }
  const iin = validateIin(value('debtor_iin'))
  if (!iin.ok) return { ok: false, error: { code: 'invalid_iin', column: 'debtor_iin', message: `not a valid IIN (${iin.reason.replace('_', ' ')})` } }
  const outstanding = parseMajorUnits(value('outstanding'))
  if (outstanding === null) return { ok: false, error: { code: 'invalid_amount', column: 'outstanding', message: 'must be tenge with at most 2 decimals, e.g. 125000.50' } }
  const currency = value('currency') === '' ? CURRENCY : value('currency').toUpperCase()
  if (currency !== CURRENCY) return { ok: false, error: { code: 'invalid_currency', column: 'currency', message: 'only KZT is accepted' } }
  const contractNumber = normalizeName(value('contract_number'))
  if (!isContractNumber(contractNumber)) return { ok: false, error: { code: 'invalid_contract_number', column: 'contract_number', message: 'may hold only letters, digits, spaces and -/._#№()' } }
  return {
    ok: true,
    row: {
      contractNumber,
      contractNumberNormalized: normalizeContractNumber(contractNumber),
      iin: iin.iin,
      debtorName: normalizeName(value('debtor_name')),
      creditor: normalizeName(value('creditor')),
      outstanding,
      currency
    }
  }
}
