import fp from 'fastify-plugin'
import type pg from 'pg'
import type { FastifyInstance } from 'fastify'
import { connectionFailure, createDatabase, type Database } from './database.js'
import { createPiiCipher, type PiiCipher } from '../lib/crypto.js'
import type { AppConfig } from '../app.js'

declare module 'fastify' {
  interface FastifyInstance {
    db: Database
    /** The same pool as `db`, for the client's own protocol (COPY). */
    dbPool: pg.Pool
    pii: PiiCipher
    config: AppConfig
  }
}

/** The pool, the PII cipher and the configuration, shared by every module. */
export default fp(async function databasePlugin (app: FastifyInstance, { config }: { config: AppConfig }) {
  const handle = createDatabase(config.databaseUrl, {
    max: config.databasePoolMax,
    // an outage is told by the requests' 503s and readiness: one short line per connection here
    onError: (error, where) => { app.log.warn({ cause: connectionFailure(error), where }, 'database connection lost') }
  })
  app.decorate('db', handle.db)
  app.decorate('dbPool', handle.pool)
  app.decorate('pii', createPiiCipher(config.piiKeys))
  app.decorate('config', config)
  app.addHook('onClose', async () => { await handle.close() })
}, { name: 'database' })
