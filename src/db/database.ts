import pg from 'pg'
import { Kysely, PostgresDialect } from 'kysely'
import type { DB } from './types.js'

/**
 * Our own type parsers, given to our pool only (STYLE 20): int8 -> bigint,
 * so money and counters never pass through a float; date stays
 * 'YYYY-MM-DD'; numeric stays a string (parsed explicitly where used).
 * Never set on pg.types: graphile-worker shares the pg module and must keep
 * reading its int8 job ids as strings (a BigInt in its failure path cannot
 * be serialised, and took the whole process down).
 */
const OWN_PARSERS = new Map<number, (value: string) => unknown>([
  [pg.types.builtins.INT8, (value) => BigInt(value)],
  [pg.types.builtins.DATE, (value) => value]
])

export const databaseTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    const own = format === 'binary' ? undefined : OWN_PARSERS.get(oid)
    return own ?? pg.types.getTypeParser(oid, format ?? 'text')
  }) as pg.CustomTypesConfig['getTypeParser']
}

export type Database = Kysely<DB>

export interface DatabaseHandle {
  db: Database
  pool: pg.Pool
  close: () => Promise<void>
}

/** Logs a pool's failures instead of letting an unhandled 'error' event end the process. */
export function guardConnections (pool: pg.Pool, onError: (error: Error, where: 'idle' | 'client') => void): void {
  // an idle client losing its connection emits on the pool
  pool.on('error', (error) => { onError(error, 'idle') })
  // a checked-out client's connection dying emits on the client: the query fails, the process stays
  pool.on('connect', (client) => { client.on('error', (error) => { onError(error, 'client') }) })
}

export function createDatabase (connectionString: string, options: { max?: number, onError?: (error: Error, where: 'idle' | 'client') => void } = {}): DatabaseHandle {
  const pool = new pg.Pool({ connectionString, max: options.max ?? 10, application_name: 'debt-payments-api', types: databaseTypes })
  guardConnections(pool, options.onError ?? (() => {}))
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
  return { db, pool, close: async () => { await db.destroy() } }
}
