/**
 * IIN (individual identification number) and BIN (business identification
 * number) of Kazakhstan: 12 digits, the last one a check digit computed in up
 * to two weighted passes mod 11. An IIN also carries the birth date (YYMMDD),
 * and in digit 7 the century and the sex. Pure functions, no I/O.
 */
export type IinValidation =
  | { ok: true, iin: string, birthDate: string, sex: 'male' | 'female' }
  | { ok: false, reason: 'format' | 'checksum' | 'birth_date' | 'century' }

const FIRST_PASS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] as const
const SECOND_PASS = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2] as const

// ASCII only: `\d` with the `u` flag or Number() would let other scripts in.
const TWELVE_DIGITS = /^[0-9]{12}$/
const ELEVEN_DIGITS = /^[0-9]{11}$/

function weightedSum (first11: string, weights: readonly number[]): number {
  let sum = 0
  for (let i = 0; i < 11; i++) {
    sum += (first11.charCodeAt(i) - 48) * (weights[i] as number)
  }
  return sum % 11
}

/**
 * The check digit for the first 11 digits, or null when there is none (both
 * passes give 10: no IIN/BIN is issued with such a prefix) or the text is not
 * 11 ASCII digits.
 */
export function iinCheckDigit (first11: string): number | null {
  if (!ELEVEN_DIGITS.test(first11)) return null
  const first = weightedSum(first11, FIRST_PASS)
  if (first !== 10) return first
  const second = weightedSum(first11, SECOND_PASS)
  return second === 10 ? null : second
}

function hasValidCheckDigit (text: string): boolean {
  return iinCheckDigit(text.slice(0, 11)) === text.charCodeAt(11) - 48
}

/** 12 ASCII digits with a right check digit; says nothing about the date. */
export function isValidBin (text: string): boolean {
  return TWELVE_DIGITS.test(text) && hasValidCheckDigit(text)
}

// Digit 7: 1/2 born in the 1800s, 3/4 in the 1900s, 5/6 in the 2000s; odd male.
const CENTURY_BY_DIGIT = [null, 1800, 1800, 1900, 1900, 2000, 2000] as const

function isLeapYear (year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
}

function daysInMonth (year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28
  return [4, 6, 9, 11].includes(month) ? 30 : 31
}

/**
 * Checks an IIN as typed by a debtor (callers trim; nothing is stripped here).
 * Reasons are checked in order: format, checksum, century, birth_date. A BIN
 * has a valid checksum but is refused here: its digits 5-6 are no day, and
 * its digit 7 is often 0.
 */
export function validateIin (text: string): IinValidation {
  if (!TWELVE_DIGITS.test(text)) return { ok: false, reason: 'format' }
  if (!hasValidCheckDigit(text)) return { ok: false, reason: 'checksum' }

  const centuryDigit = text.charCodeAt(6) - 48
  const century = CENTURY_BY_DIGIT[centuryDigit]
  if (century === undefined || century === null) return { ok: false, reason: 'century' }

  const year = century + Number(text.slice(0, 2))
  const month = Number(text.slice(2, 4))
  const day = Number(text.slice(4, 6))
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return { ok: false, reason: 'birth_date' }
  }

  return {
    ok: true,
    iin: text,
    birthDate: `${year}-${text.slice(2, 4)}-${text.slice(4, 6)}`,
    sex: centuryDigit % 2 === 1 ? 'male' : 'female'
  }
}

export function isValidIin (text: string): boolean {
  return validateIin(text).ok
}
