// Lint fixture (test/lint.test.ts): the owner writes, locks and reads its own table, with the builder and raw SQL.
import { sql } from 'kysely'
import { db } from '../../db/database.js'

export const written = db.insertInto('ledger_things')
export const locked = db.selectFrom('ledger_things as t').forUpdate()
export const raw = sql`update ledger_things set amount = 0 where id in (select id from ledger_things for update)`
