/** Personal names as people type them, and as the public may see them. */

/** NFC, trimmed, inner whitespace collapsed: "  Әлия   Нұрланқызы " -> "Әлия Нұрланқызы". */
export function normalizeName (text: string): string {
  return text.normalize('NFC').trim().replace(/\s+/gu, ' ')
}

/**
 * The debtor's name as a lookup shows it: the first letter of each part,
 * then asterisks ("Иванов Иван Иванович" -> "И*** И*** И***"). Enough for
 * a payer to recognise the debt, too little to learn a stranger's name.
 */
export function maskName (name: string): string {
  return normalizeName(name).split(' ').filter((p) => p !== '')
    .map((part) => `${[...part][0] ?? ''}***`).join(' ')
}

/**
 * Contract numbers compare trimmed, case-folded and with inner spaces
 * collapsed. Plain toLowerCase: Unicode has no tailored casing for Russian
 * or Kazakh (only Turkish, Azeri and Lithuanian differ), so it equals the
 * ru-RU folding stored so far, at a tenth of the cost.
 */
export function normalizeContractNumber (text: string): string {
  return text.normalize('NFC').trim().replace(/\s+/gu, ' ').toLowerCase()
}

/**
 * What a contract number may hold: letters, digits, spaces and the
 * punctuation contracts are printed with (`КД-2024/0015`, `№ 12.3_4#(А)`),
 * at most 100 characters. No free text punctuation (commas, colons, quotes):
 * the card-data guard reads a contract number by this format instead of as
 * free text, so a contract made of 16 Luhn-valid digits is still payable.
 * Written for linear matching: a leading space run, then classes that do not
 * overlap the first.
 */
export const CONTRACT_NUMBER_MAX_LENGTH = 100
export const CONTRACT_NUMBER_PATTERN = '^\\s*[\\p{L}\\p{N}][\\p{L}\\p{M}\\p{N}\\s./_#№()-]*$'
const CONTRACT_NUMBER = new RegExp(CONTRACT_NUMBER_PATTERN, 'u')

export function isContractNumber (text: string): boolean {
  return text.length <= CONTRACT_NUMBER_MAX_LENGTH && CONTRACT_NUMBER.test(text)
}
