// Card-data guard (offer cl. 3, docs/architecture.md, the public API;
// docs/architecture.md, safe by default): no request may carry a card number;
// cards are typed on the bank's page only.
//
// In free text a card number is 13-19 digits passing Luhn, written in one
// piece or in groups joined by separators: any run of spaces (ASCII, tab,
// no-break, figure, narrow and the other Unicode spaces, zero-width ones),
// dashes (ASCII and Unicode), dots and slashes. Digit groups joined that way
// form a run; every stretch of whole groups in a run holding 13-19 digits is
// checked, so a card followed by its expiry and CVV (`4111 1111 1111 1111
// 12/25 123`) is found. One unbroken group of 20 or more digits is a
// reference or an account number, not a card.
//
// Tokens are not free text: a digit group glued to a Latin letter or an
// underscore on either side belongs to a token (our ids `pay_0193…`,
// `x4111…`) and is left out of the stretches; a run that starts right after
// two capital letters starting a word is an IBAN (`KZ86 1250 …`) and is
// skipped whole. A 12-digit IIN and an 11-digit phone never reach 13 digits.
//
// Fields with a format of their own (a contract number, an email) are not
// free text either: a caller names them (`FormattedField`), and such a field
// is skipped only when its whole value has that format, checked here, so an
// exemption never turns into a place where free text slips through.
//
// Everything is one pass over the text, no regex: linear whatever it holds.
import { normalizeEmail } from './email.js'
import { isContractNumber } from './names.js'
import { isParsedContainer, MAX_NESTING, ValueBudget } from './request-data.js'

const MIN_DIGITS = 13
const MAX_DIGITS = 19

function digitValue (code: number): number {
  if (code >= 48 && code <= 57) return code - 48
  // fullwidth digits, as some phone keyboards type them
  if (code >= 0xFF10 && code <= 0xFF19) return code - 0xFF10
  return -1
}

/** Luhn (mod 10) check of a string of ASCII digits; false for anything else. */
export function luhnValid (digits: string): boolean {
  if (digits.length === 0) return false
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    const code = digits.charCodeAt(digits.length - 1 - i)
    if (code < 48 || code > 57) return false
    sum += luhnTerm(code - 48, i)
  }
  return sum % 10 === 0
}

/** A digit's share of the Luhn sum, by its position counted from the right (0 = check digit). */
function luhnTerm (digit: number, fromRight: number): number {
  if (fromRight % 2 === 0) return digit
  return digit * 2 > 9 ? digit * 2 - 9 : digit * 2
}

function isUpperCode (code: number): boolean {
  return code >= 65 && code <= 90
}

function isWordCode (code: number): boolean {
  return isUpperCode(code) || (code >= 97 && code <= 122) || code === 95
}

/** Does the run starting at `at` follow a country code starting a word, as in `KZ86 …`? */
function followsIbanCountry (text: string, at: number): boolean {
  return at >= 2 && isUpperCode(text.charCodeAt(at - 1)) && isUpperCode(text.charCodeAt(at - 2)) &&
    (at === 2 || !isWordCode(text.charCodeAt(at - 3)))
}

/** What people put between the groups of a card number. Not commas or newlines: those separate numbers. */
export function isSeparatorCode (code: number): boolean {
  if (code < 0x80) {
    return code === 0x20 || code === 0x09 || code === 0x2D || code === 0x2E || code === 0x2F || code === 0x5C
  }
  return code === 0xA0 || code === 0xAD || code === 0xB7 || code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200D) || // en/em/figure/thin/hair spaces, zero-width space and joiners
    (code >= 0x2010 && code <= 0x2015) || // hyphens and dashes
    code === 0x2027 || code === 0x202F || code === 0x205F || code === 0x2060 || code === 0x2212 ||
    code === 0x3000 || code === 0xFE58 || code === 0xFE63 || code === 0xFEFF ||
    code === 0xFF0D || code === 0xFF0E || code === 0xFF0F
}

/**
 * The scan of one text. The last 19 digits of the current run sit in a ring,
 * each marked when a stretch may start at it (the start of a group not glued
 * to a word): when a group ends, the stretches ending there are summed from
 * the right in at most 19 steps.
 */
class RunScanner {
  private readonly digits = new Uint8Array(MAX_DIGITS)
  private readonly stretchStarts = new Uint8Array(MAX_DIGITS)
  private length = 0

  reset (): void { this.length = 0 }

  push (digit: number, startsStretch: boolean): void {
    const slot = this.length % MAX_DIGITS
    this.digits[slot] = digit
    this.stretchStarts[slot] = startsStretch ? 1 : 0
    this.length++
  }

  /** Does some stretch of whole groups ending with the last digit hold a card number? */
  cardEndsHere (): boolean {
    const span = Math.min(this.length, MAX_DIGITS)
    let sum = 0
    for (let back = 0; back < span; back++) {
      const slot = (this.length - 1 - back) % MAX_DIGITS
      sum += luhnTerm(this.digits[slot] as number, back)
      if (back + 1 >= MIN_DIGITS && this.stretchStarts[slot] === 1 && sum % 10 === 0) return true
    }
    return false
  }
}

/** Fewer than 13 digits in all can hold no card: most text (names, emails, IINs) is settled by this count alone. */
function hasEnoughDigitsForCard (text: string): boolean {
  let digits = 0
  for (let i = 0; i < text.length; i++) {
    if (digitValue(text.charCodeAt(i)) >= 0 && ++digits >= MIN_DIGITS) return true
  }
  return false
}

function textHoldsCardNumber (text: string): boolean {
  if (text.length < MIN_DIGITS || !hasEnoughDigitsForCard(text)) return false
  const scanner = new RunScanner()
  let inRun = false
  let inGroup = false
  let runIsToken = false
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    const digit = digitValue(code)
    if (digit >= 0) {
      let startsStretch = !inGroup
      if (!inRun) {
        inRun = true
        const glued = i > 0 && isWordCode(text.charCodeAt(i - 1))
        runIsToken = glued && followsIbanCountry(text, i)
        // no stretch starts at a group glued to a word on its left
        startsStretch = !glued
        scanner.reset()
      }
      scanner.push(digit, startsStretch)
      inGroup = true
      continue
    }
    if (inGroup) {
      inGroup = false
      // a group glued to a letter on its right is part of a token
      if (!runIsToken && !isWordCode(code) && scanner.cardEndsHere()) return true
    }
    if (inRun && !isSeparatorCode(code)) inRun = false
  }
  return inGroup && !runIsToken && scanner.cardEndsHere()
}

/** The formats a field can be declared to have. */
export const FIELD_FORMATS = {
  contractNumber: isContractNumber,
  email: (text: string) => text.length <= 254 && normalizeEmail(text).ok
} satisfies Record<string, (text: string) => boolean>
export type FieldFormat = keyof typeof FIELD_FORMATS

/** A field read by its own format, not as free text. `*` in a path matches any key or array index. */
export interface FormattedField {
  path: readonly string[]
  format: FieldFormat
}

function isFormatted (text: string, depth: number, fields: readonly FormattedField[]): boolean {
  return fields.some((field) => field.path.length === depth && FIELD_FORMATS[field.format](text))
}

function fieldsUnder (key: string, depth: number, fields: readonly FormattedField[]): readonly FormattedField[] {
  if (fields.length === 0) return fields
  return fields.filter((field) => field.path.length > depth && (field.path[depth] === key || field.path[depth] === '*'))
}

function holdsCardNumber (
  value: unknown, depth: number, budget: ValueBudget, fields: readonly FormattedField[]
): boolean {
  // the format is checked only for text that would otherwise be refused
  if (typeof value === 'string') return textHoldsCardNumber(value) && !isFormatted(value, depth, fields)
  // a number above 2^53 was already rounded by JSON.parse: not what was sent
  if (typeof value === 'number') return Number.isSafeInteger(value) && textHoldsCardNumber(String(value))
  if (typeof value !== 'object' || value === null) return false
  // parsed data only, within the bounds of every walk over a request (lib/request-data.ts): past them the validator
  // refuses the request, before anything is stored or echoed
  if (depth >= MAX_NESTING || !budget.take() || !isParsedContainer(value)) return false
  if (Array.isArray(value)) {
    return value.some((item, index) =>
      holdsCardNumber(item, depth + 1, budget, fieldsUnder(String(index), depth, fields)))
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue
    if (textHoldsCardNumber(key)) return true
    const item = (value as Record<string, unknown>)[key]
    if (holdsCardNumber(item, depth + 1, budget, fieldsUnder(key, depth, fields))) return true
  }
  return false
}

/**
 * True when some string, safe-integer number or object key anywhere in parsed request data holds a card number,
 * the declared formatted fields aside. Containers nested MAX_NESTING deep, past MAX_VALUES containers, or that are
 * not parsed data (a stream) are not looked into: the validator refuses those.
 */
export function containsCardNumber (value: unknown, formatted: readonly FormattedField[] = []): boolean {
  return holdsCardNumber(value, 0, new ValueBudget(), formatted)
}

/**
 * A URL's path, fit to log or echo: without its query string, and withheld
 * whole when it (raw or percent-decoded) holds what looks like a card number.
 */
export function pathWithoutCardData (url: string): string {
  const query = url.indexOf('?')
  const path = query === -1 ? url : url.slice(0, query)
  let decoded = path
  if (path.includes('%')) {
    try { decoded = decodeURIComponent(path) } catch { /* a malformed escape: look at it as sent */ }
  }
  return textHoldsCardNumber(path) || (decoded !== path && textHoldsCardNumber(decoded)) ? '[withheld: looks like a card number]' : path
}
