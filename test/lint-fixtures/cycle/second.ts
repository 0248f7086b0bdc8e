// Lint fixture (test/lint.test.ts): see first.ts.
import { first } from './first.js'

export function second (): string {
  return 'second' + first.name
}
