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

/** Contract numbers compare trimmed, case-folded and with inner spaces collapsed. */
export function normalizeContractNumber (text: string): string {
  return text.normalize('NFC').trim().replace(/\s+/gu, ' ').toLocaleLowerCase('ru-RU')
}
