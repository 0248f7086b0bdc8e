// Lint fixture (test/lint.test.ts): payments ranks above ledger.
export function paid (): string {
  return 'paid'
}
