// Lint fixture (test/lint.test.ts): the ledger calling up into payments is an error; lib below is fine.
import type { Amount } from '../../lib/money.js'
import { paid } from '../payments/service.js'

export const zero: Amount = 0n
export const found = paid()
