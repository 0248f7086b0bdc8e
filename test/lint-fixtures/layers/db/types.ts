// Lint fixture (test/lint.test.ts): the one allowed upward import, type-only, composing every owner's tables.
import type { LedgerTables } from '../modules/ledger/tables.js'

export type DB = LedgerTables
