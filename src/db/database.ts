// Our own type parsers, given to our pool only (no global state: scoped to what owns it): int8 -> bigint,
// so money and counters never pass through a float; date stays
// 'YYYY-MM-DD'; numeric stays a string (parsed explicitly where used).
// Never set on pg.types: graphile-worker shares the pg module and must keep
// reading its int8 job ids as strings (a BigInt in its failure path cannot
// be serialised, and took the whole process down).
import pg from 'pg'
import { Kysely, PostgresDialect, type Transaction } from 'kysely'
import type { DB } from './types.js'

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
/** What a repository function takes: the pool's Kysely or a transaction on it (the service owns the transaction). */
export type Handle = Database | Transaction<DB>
/** A function that needs a transaction (it locks, or writes more than one row that must commit together). */
export type Trx = Transaction<DB>

const CONNECT_TIMEOUT_MS = 3000

export interface DatabaseHandle {
  db: Database
  pool: pg.Pool
  close: () => Promise<void>
}

/**
 * Makes a pool's failures survivable: pg-pool listens for errors on idle
 * clients only, so a checked-out one (the database shutting down mid-query)
 * needs a listener of its own, or its 'error' event ends the process. The
 * query itself still fails, and the request answers 503.
 */
export function guardConnections (pool: pg.Pool, onError: (error: Error, where: 'idle' | 'client') => void): void {
  const open = new Set<pg.Client>()
  connections.set(pool, open)
  pool.on('error', (error) => { onError(error, 'idle') })
  pool.on('connect', (client) => {
    open.add(client)
    client.on('end', () => { open.delete(client) })
    client.on('error', (error) => { onError(error, 'client') })
  })
}

const connections = new WeakMap<pg.Pool, Set<pg.Client>>()

/**
 * Ends a pool and waits until its connections have really closed. pg-pool's end() resolves once it has told its
 * clients to end, before their sockets close: a database stopped right after (the embedded one, at shutdown) cut
 * them, and each logged a lost connection (57P01).
 */
export async function endPool (pool: pg.Pool, end: () => Promise<void> = async () => { await pool.end() }): Promise<void> {
  const closed = [...(connections.get(pool) ?? [])].map(async (client) => { await new Promise((resolve) => { client.once('end', resolve) }) })
  await end()
  await Promise.all(closed)
}

/** What to log of a connection failure: pg attaches its whole client object to the error. */
export function connectionFailure (error: Error & { code?: unknown }): { code: unknown, message: string } {
  return { code: error.code, message: error.message }
}

/**
 * Statements run as named prepared statements: parsed and planned once per
 * connection, then only bound and executed (what pgjdbc and postgres.js do
 * by default; pg never does). Parsing and planning were most of the
 * database's share of a lookup and of a payment's statements.
 *
 * Prepared: a statement with parameters whose result columns are all named.
 * A `select *`, `returning *` or `t.*` is not: after a migration adds a
 * column, Postgres refuses to run a statement prepared before it
 * ("cached plan must not change result type") until the connection closes,
 * and a rolling deploy runs old processes on the new schema. Statements with
 * a long text or many parameters (the import's batches) and anything past
 * the first MAX_PREPARED texts run unnamed, so the backends' memory stays
 * bounded. Should Postgres still refuse a prepared statement (a column's
 * type changed under it), that text runs unnamed from then on.
 */
const MAX_PREPARED = 256
const MAX_PREPARED_TEXT = 4000
const MAX_PREPARED_PARAMETERS = 64
const STAR_RESULT = /\bselect\s+(?:distinct\s+)?\*|\breturning\s+\*|\.\*/i
const preparedNames = new Map<string, string>()
const neverPrepared = new Set<string>()

/** The statement's name on every connection, or undefined: it runs unnamed. */
export function preparedName (text: string, parameterCount: number): string | undefined {
  const known = preparedNames.get(text)
  if (known !== undefined || neverPrepared.has(text)) return known
  if (parameterCount === 0 || parameterCount > MAX_PREPARED_PARAMETERS || text.length > MAX_PREPARED_TEXT || STAR_RESULT.test(text) || preparedNames.size >= MAX_PREPARED) {
    if (neverPrepared.size < 10 * MAX_PREPARED) neverPrepared.add(text)
    return undefined
  }
  const name = `prepared_${preparedNames.size + 1}`
  preparedNames.set(text, name)
  return name
}

function refusedAsPrepared (error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '0A000'
}

/**
 * The pool's clients run a preparable text as a named statement; pg
 * prepares it on the first use on each connection (again after a failed
 * parse) and refuses a name reused for another text.
 */
function runPreparedStatements (pool: pg.Pool): void {
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown
    ;(client as unknown as { query: (...args: unknown[]) => unknown }).query = (config: unknown, values?: unknown, callback?: unknown) => {
      const name = typeof config === 'string' && Array.isArray(values) ? preparedName(config, values.length) : undefined
      if (name === undefined) return query(config, values, callback)
      const text = config as string
      const forget = (error: unknown): void => {
        if (refusedAsPrepared(error)) { preparedNames.delete(text); neverPrepared.add(text) }
      }
      // pg-pool's own query() passes a callback; the query builder awaits the promise
      if (typeof callback === 'function') {
        return query({ name, text, values }, (error: unknown, result: unknown) => { forget(error); (callback as (e: unknown, r: unknown) => void)(error, result) })
      }
      return (query({ name, text, values }) as Promise<unknown>).catch((error: unknown) => { forget(error); throw error })
    }
  })
}

export function createDatabase (connectionString: string, options: { max?: number, onError?: (error: Error, where: 'idle' | 'client') => void } = {}): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    application_name: 'debt-payments-api',
    types: databaseTypes,
    // While the database is unreachable a request must fail fast (503
    // database_unavailable), not queue behind connection attempts.
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS
  })
  guardConnections(pool, options.onError ?? (() => {}))
  runPreparedStatements(pool)
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
  return { db, pool, close: async () => { await endPool(pool, async () => { await db.destroy() }) } }
}

/**
 * A Kysely that runs every query on this one checked-out client: for work
 * that mixes the query builder with the client's own protocol (COPY) inside
 * one transaction. The caller owns the client (begin, commit, release).
 */
export function databaseOnClient (client: pg.PoolClient): Database {
  const borrowed = { query: client.query.bind(client), release: () => {} }
  const pool = { connect: async () => borrowed, end: async () => {} }
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool: pool as unknown as pg.Pool }) })
}
