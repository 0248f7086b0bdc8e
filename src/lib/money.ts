/**
 * Money is integer minor units (tiyn) everywhere inside the service; the bank
 * wants tenge with two decimals ("1500.00"). Conversions are string based so
 * no float ever touches an amount.
 */
export const CURRENCY = 'KZT' as const

/** An amount as the API shows it: integer tiyn, with its currency. */
export function moneyOf (amount: bigint): { amount: number, currency: typeof CURRENCY } {
  return { amount: Number(amount), currency: CURRENCY }
}

/** 150000n -> "1500.00" */
export function formatMinorUnits (amount: bigint): string {
  const negative = amount < 0n
  const abs = negative ? -amount : amount
  const whole = abs / 100n
  const fraction = (abs % 100n).toString().padStart(2, '0')
  return `${negative ? '-' : ''}${whole}.${fraction}`
}

const DECIMAL = /^(0|[1-9]\d{0,15})(?:\.(\d{1,2}))?$/

/**
 * "1500" | "1500.5" | "1500.50" -> 150050n; null when the text is not a
 * non-negative decimal with at most two fraction digits.
 */
export function parseMajorUnits (text: string): bigint | null {
  const match = DECIMAL.exec(text)
  if (match === null) return null
  const whole = BigInt(match[1] as string)
  const fraction = BigInt((match[2] ?? '').padEnd(2, '0'))
  return whole * 100n + fraction
}
