// One log line per request, when its response has been sent: method, path
// (never the query string), request id, status and time taken. Fastify's own
// request logging writes two lines, and its first ("incoming request") says
// nothing the second does not; on the hot paths (a lookup, a callback) the
// second line cost as much as the first.
import type { FastifyInstance } from 'fastify'

/** Pair with `disableRequestLogging: true` in the Fastify options. */
export function logRequests (app: FastifyInstance): void {
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed')
    done()
  })
}
