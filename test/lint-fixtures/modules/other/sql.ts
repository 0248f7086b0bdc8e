// Lint fixture (test/lint.test.ts): the query builder outside a repository is an error.
const db = { selectFrom: (table: string) => table }

export const found = db.selectFrom('things')
