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
export async function endPool (
  pool: pg.Pool, end: () => Promise<void> = async () => { await pool.end() }
): Promise<void> {
  const closed = [...(connections.get(pool) ?? [])].map(async (client) => { await new Promise((resolve) => { client.once('end', resolve) }) })
  await end()
  await Promise.all(closed)
}

/** What to log of a connection failure: pg attaches its whole client object to the error. */
/** Postgres refused a row a unique index already holds (SQLSTATE 23505): another writer got there first. */
export function isUniqueViolation (error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '23505'
}

export function connectionFailure (error: Error & { code?: unknown }): { code: unknown, message: string } {
  return { code: error.code, message: error.message }
}

/**
 * Statements run as named prepared statements: parsed once per connection,
 * then bound and executed, with a plan Postgres may keep (what pgjdbc and
 * postgres.js do by default; pg never does).
 *
 * Named: a text with parameters that has run PREPARE_AFTER times, whose
 * result columns are all named and whose values are plain (text, numbers,
 * booleans, dates, bytes, null). Not named:
 * - any `*` other than `count(*)`: after a migration adds a column,
 *   Postgres refuses a `select *` prepared before it ("cached plan must not
 *   change result type") until the connection closes, and a rolling deploy
 *   runs old processes on the new schema;
 * - objects and arrays among the values: pg turns them into text while it
 *   binds, and a value it cannot turn (a BigInt inside an object) would
 *   leave the name half-prepared on the connection;
 * - long texts, more than 64 parameters, texts seen once or twice (the
 *   lists of every length), and anything past the first MAX_PREPARED names,
 *   so the backends' memory stays bounded.
 * Postgres plans a prepared statement for its values for its first five
 * runs, then keeps one generic plan only while its estimated cost is no
 * worse (plan_cache_mode auto, the default): skipping the planner is most of
 * the gain for the lookup. The import's batches, tuned by their own planner
 * settings, plan every statement for its values (debts/repository.ts).
 * Should Postgres refuse a prepared statement anyway (a column changed type
 * under it, 0A000), that request fails and the text runs unnamed from then
 * on; should a connection have lost its statements (26000, a pooler's
 * DISCARD ALL), that connection parses it again on the next use.
 */
const PREPARE_AFTER = 3
const MAX_PREPARED = 256
const MAX_PREPARED_TEXT = 4000
const MAX_PREPARED_PARAMETERS = 64
const MAX_COUNTED = 4096
const STAR = /(?<!\()\*|\*(?!\))/
const preparedNames = new Map<string, string>()
const neverPrepared = new Set<string>()
const runs = new Map<string, number>()
let lastName = 0

function plainValue (value: unknown): boolean {
  if (value === null || value === undefined) return true
  const type = typeof value
  if (type === 'string' || type === 'number' || type === 'boolean' || type === 'bigint') return true
  return Buffer.isBuffer(value) || (value instanceof Date && !Number.isNaN(value.getTime()))
}

/** The statement's name on every connection, or undefined: it runs unnamed. */
export function preparedName (text: string, values: readonly unknown[]): string | undefined {
  const known = preparedNames.get(text)
  if (known !== undefined) return values.every(plainValue) ? known : undefined
  if (neverPrepared.has(text)) return undefined
  if (
    values.length === 0 || values.length > MAX_PREPARED_PARAMETERS || text.length > MAX_PREPARED_TEXT ||
    STAR.test(text) || preparedNames.size >= MAX_PREPARED
  ) {
    if (neverPrepared.size < MAX_COUNTED) neverPrepared.add(text)
    return undefined
  }
  const seen = (runs.get(text) ?? 0) + 1
  if (seen < PREPARE_AFTER || !values.every(plainValue)) {
    if (runs.size >= MAX_COUNTED) runs.clear()
    runs.set(text, seen)
    return undefined
  }
  runs.delete(text)
  // names are never reused, not even a forgotten text's: a connection may still hold it
  const name = `prepared_${++lastName}`
  preparedNames.set(text, name)
  return name
}

type Queryable = pg.PoolClient & { connection?: { parsedStatements?: Record<string, string> } }

/** What a failure of a named statement means for the statement, on this client and everywhere. */
function afterFailure (client: Queryable, text: string, name: string, error: unknown): void {
  const code = (error as { code?: unknown } | null)?.code
  if (code === '0A000') {
    preparedNames.delete(text)
    neverPrepared.add(text)
  }
  if (code === '26000' && client.connection?.parsedStatements !== undefined) Reflect.deleteProperty(client.connection.parsedStatements, name)
}

/**
 * The pool's clients run a preparable text as a named statement; pg
 * prepares it on the first use on each connection (again after a failed
 * parse) and refuses a name reused for another text.
 */
function runPreparedStatements (pool: pg.Pool): void {
  pool.on('connect', (client: Queryable) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown
    ;(client as unknown as { query: (...args: unknown[]) => unknown }).query = (
      config: unknown, values?: unknown, callback?: unknown
    ) => {
      const name = typeof config === 'string' && Array.isArray(values) ? preparedName(config, values) : undefined
      if (name === undefined) return query(config, values, callback)
      const text = config as string
      // pg-pool's own query() passes a callback; the query builder awaits the promise
      if (typeof callback === 'function') {
        return query({ name, text, values }, (error: unknown, result: unknown) => {
          if (error !== null && error !== undefined) afterFailure(client, text, name, error)
          ;(callback as (e: unknown, r: unknown) => void)(error, result)
        })
      }
      return (query({ name, text, values }) as Promise<unknown>).catch((error: unknown) => {
        afterFailure(client, text, name, error)
        throw error
      })
    }
  })
}

/** `prepared: false` for sessions that change the schema (migrations): nothing they run is worth keeping prepared. */
export function createDatabase (connectionString: string, options: {
  max?: number, prepared?: boolean, onError?: (error: Error, where: 'idle' | 'client') => void,
  /** How its connections show in pg_stat_activity. */
  applicationName?: string
} = {}): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'debt-payments-api',
    types: databaseTypes,
    // While the database is unreachable a request must fail fast (503
    // database_unavailable), not queue behind connection attempts.
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS
  })
  guardConnections(pool, options.onError ?? (() => {}))
  if (options.prepared !== false) runPreparedStatements(pool)
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
  // Kysely ends the pool only if it ever ran a query: a pool used by its own clients alone (the imports') is ended here
  const end = async (): Promise<void> => {
    await db.destroy()
    if (!pool.ending && !pool.ended) await pool.end()
  }
  return { db, pool, close: async () => { await endPool(pool, end) } }
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
