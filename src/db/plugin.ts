// The database plugin: the API's pool, as Kysely (`db`) and as the pool itself (`dbPool`); closed with the app.
// Portfolio imports stream on a pool of their own (modules/debts/import-pool.ts).
import fp from 'fastify-plugin'
import type pg from 'pg'
import type { FastifyInstance } from 'fastify'
import { connectionFailure, createDatabase, type Database } from './database.js'

declare module 'fastify' {
  interface FastifyInstance {
    db: Database
    /** The same pool as `db`, for what needs the pool itself (its clients' own protocol, its counts). */
    dbPool: pg.Pool
  }
}

export default fp(async function databasePlugin (app: FastifyInstance, options: { url: string, poolMax: number }) {
  const handle = createDatabase(options.url, {
    max: options.poolMax,
    // an outage is told by the requests' 503s and readiness: one short line per connection here
    onError: (error, where) => { app.log.warn({ cause: connectionFailure(error), where }, 'database connection lost') }
  })
  app.decorate('db', handle.db)
  app.decorate('dbPool', handle.pool)
  app.addHook('onClose', async () => { await handle.close() })
}, { name: 'database' })
