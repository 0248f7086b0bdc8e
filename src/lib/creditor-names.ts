/**
 * A creditor's name folded for matching (DESIGN 18): portfolios spell one bank `АО "Банк ЦентрКредит"`,
 * `АО «Банк ЦентрКредит»` or `ао  „банк центркредит“`, and all three are the same creditor. NFKC, lower case, quote
 * marks removed, runs of white space one space, trimmed. The creditors table keeps this as the unique key of every
 * name and alias. Migration 0033 carries a frozen copy: change both or neither.
 */
const QUOTES = /["'«»„“”‟‘’‚‛‹›`]/gu
const SPACES = /\s+/gu

export function foldCreditorName (name: string): string {
  return name.normalize('NFKC').toLowerCase().replace(QUOTES, '').replace(SPACES, ' ').trim()
}
