// Lint fixture (test/lint.test.ts): reports ranks above the ledger, so it may read the ledger's table (raw SQL and
// builder), but never write or lock it.
import { sql } from 'kysely'
import { db } from '../../db/database.js'

export const read = sql`select e.id from ledger_things e join ${sql.table('ledger_things')} f on f.id = e.id`
export const chosen = db.selectFrom('ledger_things')
export const rawWrite = sql`insert into ledger_things (id, amount) values ('x', 0)`
export const builderWrite = db.insertInto('ledger_things')
export const builderLock = db.selectFrom('ledger_things').forUpdate()
export const rawLock = sql`select id from ledger_things for update`
