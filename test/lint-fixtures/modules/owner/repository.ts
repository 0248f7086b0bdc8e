// Lint fixture (test/lint.test.ts): a module's repository.
export function findThing (): string {
  return 'thing'
}
