/**
 * Kazakhstan phone numbers share country code +7 with Russia. Kazakhstan
 * holds the national numbers starting with 7 (mobile 70x, 747, 75x, 76x,
 * 77x; landline areas 71x, 72x); Russia holds 3, 4, 8 and 9.
 */
export type PhoneNormalization =
  | { ok: true, e164: string }
  | { ok: false, reason: 'format' | 'not_kazakhstan' }

// What people type between digits: "+7 (701) 234-56-78", "8.701.234.56.78".
const SEPARATORS = /[\s().-]/g
const DIGITS = /^(\+?)([0-9]+)$/

/**
 * "+7 701 234 56 78" | "8 (701) 234-56-78" | "77012345678" -> "+77012345678".
 * The 10-digit national number alone is refused: "7 701 234 56 7" with a
 * digit missing would read as another subscriber's number.
 */
export function normalizeKzPhone (text: string): PhoneNormalization {
  const match = DIGITS.exec(text.replace(SEPARATORS, ''))
  if (match === null) return { ok: false, reason: 'format' }
  const digits = match[2] as string

  let national: string
  if (match[1] === '+') {
    // another country code in international form is still a phone, not ours
    if (!digits.startsWith('7')) {
      const e164Length = digits.length >= 8 && digits.length <= 15
      return { ok: false, reason: e164Length ? 'not_kazakhstan' : 'format' }
    }
    national = digits.slice(1)
  } else if (digits.length === 11 && (digits.startsWith('8') || digits.startsWith('7'))) {
    // 8 is the domestic trunk prefix, 7 the country code typed without "+"
    national = digits.slice(1)
  } else {
    return { ok: false, reason: 'format' }
  }

  if (national.length !== 10) return { ok: false, reason: 'format' }
  if (national.startsWith('7')) return { ok: true, e164: `+7${national}` }
  if (/^[3489]/.test(national)) return { ok: false, reason: 'not_kazakhstan' }
  return { ok: false, reason: 'format' }
}

