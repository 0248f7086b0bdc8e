import pg from 'pg'
import { Kysely, PostgresDialect } from 'kysely'
import type { DB } from './types.js'

// int8 -> bigint: money and counters never pass through a float.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => BigInt(value))
// numeric stays a string (parsed explicitly where used), date stays 'YYYY-MM-DD'.
pg.types.setTypeParser(pg.types.builtins.DATE, (value: string) => value)

export type Database = Kysely<DB>

const CONNECT_TIMEOUT_MS = 3000

export interface DatabaseHandle {
  db: Database
  pool: pg.Pool
  close: () => Promise<void>
}

export function createDatabase (connectionString: string, options: { max?: number, onError?: (error: Error) => void } = {}): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    application_name: 'debt-payments-api',
    // While the database is unreachable a request must fail fast (503
    // database_unavailable), not queue behind connection attempts.
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS
  })
  // A client losing its connection must not crash the process: pg-pool
  // listens for errors on idle clients only, so a checked-out one (the
  // database shutting down mid-query) needs a listener of its own. The query
  // itself still fails, and the request answers 503.
  const onError = options.onError ?? (() => {})
  pool.on('error', onError)
  pool.on('connect', (client) => { client.on('error', onError) })
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
  return { db, pool, close: async () => { await db.destroy() } }
}
