// Lint fixture (test/lint.test.ts): a type-only import still counts; lib may not know a module's tables.
import type { LedgerTables } from '../modules/ledger/tables.js'

export type Amount = LedgerTables['ledger_things']['amount']
