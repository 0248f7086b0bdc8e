// Lint fixture (test/lint.test.ts): audit ranks with the ledger, not above it: reading its table is an error.
import { sql } from 'kysely'
import { db } from '../../db/database.js'

export const rawRead = sql`select count(*) from ledger_things`
export const named = sql`select count(*) from ${sql.table('ledger_things')}`
export const builderRead = db.selectFrom('ledger_things')
