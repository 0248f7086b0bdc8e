// Lint fixture (test/lint.test.ts): the ledger's table declarations; db/types.ts composes them, so ledger owns them.
export interface LedgerTables {
  ledger_things: { id: string, amount: bigint }
}
