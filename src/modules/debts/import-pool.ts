// The imports' own connections (DESIGN 16). A portfolio is streamed into COPY inside one transaction for as long as
// its sender takes to send it, on a connection it holds throughout: on the API's pool, ten slow uploads once held
// every connection, and the lookups, the bank's callbacks and readiness answered 503. Imports have a small pool of
// their own, one connection per import allowed at once (DEBT_IMPORT_CONCURRENCY, per process), and one more is
// refused with 429 `import_busy` before a byte of its body is read, rather than queued for a connection.
import type pg from 'pg'
import type { FastifyInstance } from 'fastify'
import { connectionFailure, createDatabase } from '../../db/database.js'
import { DomainError } from '../../lib/errors.js'

/** What a refused import is told to wait: an import of an ordinary portfolio takes about this long. */
export const IMPORT_BUSY_RETRY_AFTER_SECONDS = 30

export interface ImportConnections {
  /** The imports' pool: `concurrency` connections, used by nothing else. */
  pool: pg.Pool
  /** A place for one import, or `import_busy`; the function returned gives it back (once, however often called). */
  enter: () => () => void
}

export function importBusy (concurrency: number): DomainError {
  return new DomainError('import_busy',
    `At most ${concurrency} imports run at once on this server; retry when one has finished`,
    { facts: { retryAfterSeconds: IMPORT_BUSY_RETRY_AFTER_SECONDS } })
}

/** Opens the imports' pool on the app's database, closed with `app`. */
export function importConnections (app: FastifyInstance, databaseUrl: string, concurrency: number): ImportConnections {
  const handle = createDatabase(databaseUrl, {
    max: concurrency,
    applicationName: 'debt-payments-import',
    onError: (error, where) => {
      app.log.warn({ cause: connectionFailure(error), where }, 'import database connection lost')
    }
  })
  app.addHook('onClose', async () => { await handle.close() })
  let inFlight = 0
  return {
    pool: handle.pool,
    enter: () => {
      if (inFlight >= concurrency) throw importBusy(concurrency)
      inFlight++
      let left = false
      return () => {
        if (left) return
        left = true
        inFlight--
      }
    }
  }
}
