// Lint fixture (test/lint.test.ts): a stand-in for a kysely handle.
export const db = {
  selectFrom: (table: string) => ({ table, forUpdate: () => table }),
  insertInto: (table: string) => table
}
