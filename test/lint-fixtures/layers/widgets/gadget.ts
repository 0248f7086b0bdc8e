// Lint fixture (test/lint.test.ts): a folder with no rank is an error at its first import across folders.
import type { Amount } from '../lib/money.js'

export const none: Amount = 0n
