// GET /metrics. Registered after the rate limiter (app.ts): @fastify/rate-limit limits the routes added after it,
// and a route's own `rateLimit` on one added before is silently ignored. A scraper asks a few times a minute; a burst
// beyond METRICS_RATE_LIMIT_PER_MINUTE per IP is refused before anything is computed (DESIGN 22).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { DomainError } from '../../lib/errors.js'
import { problemResponses } from '../../http/schemas.js'
import { equalInConstantTime } from '../../lib/crypto.js'

const metricsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const token = app.config.metricsToken
  app.get('/metrics', {
    // a database it cannot read is metrics_database_up 0, never a 503
    config: { rateLimit: { max: app.config.metricsRateLimitPerMinute, timeWindow: 60_000 }, database: false },
    schema: {
      operationId: 'getMetrics',
      tags: ['Health'],
      summary: 'Prometheus metrics',
      description: 'Prometheus text format: HTTP request durations by route template and status; payments by ' +
        'status and channel; refunds and emails by status; overdue refund requests; bank calls by script and outcome with durations; ' +
        'callbacks by kind and verdict; job queue depth and the oldest runnable job\'s age; webhook deliveries by ' +
        'outcome; ledger consistency. The database figures are read once for concurrent scrapes and reused for 5 s ' +
        '(the ledger\'s for 60 s). With `METRICS_TOKEN` set, it must be sent as `Authorization: Bearer <token>` ' +
        '(401 otherwise). Rate limited per IP (`METRICS_RATE_LIMIT_PER_MINUTE`, 429 `rate_limited`).',
      // open, or the METRICS_TOKEN bearer when one is set
      security: [{}, { metricsToken: [] }],
      response: {
        200: {
          description: 'Prometheus exposition format 0.0.4',
          content: { 'text/plain; version=0.0.4; charset=utf-8': { schema: { type: 'string' } } }
        },
        ...problemResponses({ 401: ['unauthenticated'] })
      }
    }
  }, async (request, reply) => {
    if (token !== null) {
      const header = request.headers.authorization ?? ''
      const given = header.startsWith('Bearer ') ? header.slice(7) : ''
      if (!equalInConstantTime(given, token)) {
        throw new DomainError('unauthenticated', 'A valid metrics token is required: Authorization: Bearer <METRICS_TOKEN>')
      }
    }
    return await reply.type(app.metrics.registry.contentType).send(await app.metrics.scrape())
  })
}

export default metricsRoutes
