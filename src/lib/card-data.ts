/**
 * Card-data guard (offer cl. 3, DESIGN section 4): no request may carry a
 * card number; cards are typed on the bank's page only. A body holding one is
 * refused before it is stored or logged.
 *
 * A card number is a maximal run of 13-19 ASCII digits, single spaces or
 * dashes allowed between digits, that passes Luhn. Longer runs do not count
 * (long references and account numbers would be false positives); a 12-digit
 * IIN, an 11-digit phone and a KZ IBAN (letters inside) never match. A run
 * touching a Latin letter or underscore is part of a token, not a card: our
 * own ids (`pay_0193…`, 32 hex digits) hold long digit runs by chance and
 * must never be refused as card data.
 */

const MIN_DIGITS = 13
const MAX_DIGITS = 19
const MAX_DEPTH = 64

function isDigitCode (code: number): boolean {
  return code >= 48 && code <= 57
}

/** Luhn (mod 10) check of a string of ASCII digits; false for anything else. */
export function luhnValid (digits: string): boolean {
  if (digits.length === 0) return false
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    const code = digits.charCodeAt(digits.length - 1 - i)
    if (!isDigitCode(code)) return false
    const digit = code - 48
    if (i % 2 === 0) {
      sum += digit
    } else {
      sum += digit * 2 > 9 ? digit * 2 - 9 : digit * 2
    }
  }
  return sum % 10 === 0
}

function isWordCode (code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95
}

function isCardRun (run: string, length: number): boolean {
  return length >= MIN_DIGITS && length <= MAX_DIGITS && luhnValid(run)
}

// One pass, no regex: linear in the text whatever it holds.
function textHoldsCardNumber (text: string): boolean {
  if (text.length < MIN_DIGITS) return false
  let run = ''
  let length = 0
  let startsClear = true
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (isDigitCode(code)) {
      if (length === 0) startsClear = i === 0 || !isWordCode(text.charCodeAt(i - 1))
      length++
      // past 19 digits the run can no longer count; stop copying it
      if (length <= MAX_DIGITS) run += text[i]
      continue
    }
    // a single space or dash between two digits keeps the run going
    const separator = code === 32 || code === 45
    if (separator && length > 0 && isDigitCode(text.charCodeAt(i + 1))) continue
    if (startsClear && !isWordCode(code) && isCardRun(run, length)) return true
    run = ''
    length = 0
  }
  return startsClear && isCardRun(run, length)
}

function holdsCardNumber (value: unknown, depth: number, seen: WeakSet<object>): boolean {
  if (typeof value === 'string') return textHoldsCardNumber(value)
  // a number above 2^53 was already rounded by JSON.parse: not what was sent
  if (typeof value === 'number') return Number.isSafeInteger(value) && textHoldsCardNumber(String(value))
  if (typeof value !== 'object' || value === null) return false
  // no request of ours nests this deep; the bound keeps the stack safe
  if (depth >= MAX_DEPTH || seen.has(value)) return false
  seen.add(value)
  if (Array.isArray(value)) {
    return value.some((item) => holdsCardNumber(item, depth + 1, seen))
  }
  for (const [key, item] of Object.entries(value)) {
    if (textHoldsCardNumber(key) || holdsCardNumber(item, depth + 1, seen)) return true
  }
  return false
}

/**
 * True when some string, safe-integer number or object key anywhere in a JSON
 * value holds a card number. Containers nested 64 deep or more are not looked
 * into.
 */
export function containsCardNumber (value: unknown): boolean {
  return holdsCardNumber(value, 0, new WeakSet())
}
