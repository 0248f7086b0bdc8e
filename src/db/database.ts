import pg from 'pg'
import { Kysely, PostgresDialect } from 'kysely'
import type { DB } from './types.js'

// int8 -> bigint: money and counters never pass through a float.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => BigInt(value))
// numeric stays a string (parsed explicitly where used), date stays 'YYYY-MM-DD'.
pg.types.setTypeParser(pg.types.builtins.DATE, (value: string) => value)

export type Database = Kysely<DB>

export interface DatabaseHandle {
  db: Database
  pool: pg.Pool
  close: () => Promise<void>
}

export function createDatabase (connectionString: string, options: { max?: number, onError?: (error: Error) => void } = {}): DatabaseHandle {
  const pool = new pg.Pool({ connectionString, max: options.max ?? 10, application_name: 'debt-payments-api' })
  // An idle client losing its connection must not crash the process.
  pool.on('error', options.onError ?? (() => {}))
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
  return { db, pool, close: async () => { await db.destroy() } }
}
