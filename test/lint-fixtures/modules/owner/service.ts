// Lint fixture (test/lint.test.ts): the module's own service may import its repository.
import { findThing } from './repository.js'

export function thing (): string {
  return findThing()
}
