// Lint fixture (test/lint.test.ts): first.ts and second.ts import each other, an import cycle.
import { second } from './second.js'

export function first (): string {
  return 'first' + second.name
}
