// Lines over 120 characters, on purpose: test/lint.test.ts expects lines 5 and 6 to fail and lines 7 and 8 to pass.
export function total (first: number, second: number, third: number): number { return first + second + third }

export const sum = total(1, 2, 3)
export const grandTotal = total(total(1, 2, 3), total(4, 5, 6), total(7, 8, 9)) + total(10, 11, 12) + total(13, 14, 15) + sum
// A comment is held to the limit as well: this one runs past one hundred and twenty characters, so lint reports it as well.
export const message = 'A string literal may run long: a message reads better whole than cut in two, so this line passes.'
export const shortCode = sum // https://example.com/a/link/that/makes/this/line/longer/than/one/hundred/and/twenty/characters
