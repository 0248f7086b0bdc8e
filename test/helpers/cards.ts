/**
 * Luhn check digit of a payload of digits, written apart from the code under
 * test (src/lib/card-data.ts), so tests that build card numbers check it.
 */
export function luhnCheckDigit (payload: string): string {
  let sum = 0
  for (let i = 0; i < payload.length; i++) {
    const digit = Number(payload[payload.length - 1 - i])
    const doubled = i % 2 === 0 ? digit * 2 : digit
    sum += doubled > 9 ? doubled - 9 : doubled
  }
  return String((10 - sum % 10) % 10)
}
