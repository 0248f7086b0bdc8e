// A debt's payment code (DESIGN 17): 10 random digits and a Luhn check digit. The database draws it (migration 0029's
// new_payment_code(), the debts column's default); this side checks what a channel or a person typed, so a mistyped
// digit is told apart from an unknown code before any lookup.

/** The Luhn check digit of a string of digits. */
export function luhnCheckDigit (digits: string): string {
  let total = 0
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48
    if (i % 2 === 0) {
      d *= 2
      if (d > 9) d -= 9
    }
    total += d
  }
  return String((10 - total % 10) % 10)
}

/** 11 digits whose last is the Luhn check digit of the first ten. */
export function isPaymentCode (value: string): boolean {
  return /^[0-9]{11}$/.test(value) && luhnCheckDigit(value.slice(0, 10)) === value[10]
}
