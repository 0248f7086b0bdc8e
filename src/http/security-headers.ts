// The security headers of every response (helmet's: a Content-Security-Policy, HSTS on https, nosniff, frame and
// referrer policies, no X-Powered-By). The middleware is built once from its options: @fastify/helmet built it
// again for every request (options parsed, the policy string assembled), about 5% of a lookup's time. A route
// that needs another policy (the receipt page, the sandbox bank's page) sets its own header, which wins.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'
import * as helmetModule from 'helmet'
import type { HelmetOptions } from 'helmet'

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void
type Helmet = (options?: Readonly<HelmetOptions>) => Middleware

// helmet ships CommonJS typings next to its ESM build: resolved as ESM (tsx, tsc) the namespace's default is the
// function; resolved as CommonJS (tap's loader type-checking a child process) it is the module, whose default it is
const helmet: Helmet = typeof helmetModule.default === 'function'
  ? helmetModule.default as unknown as Helmet
  : (helmetModule.default as unknown as { default: Helmet }).default

export function securityHeaders (app: FastifyInstance, options: HelmetOptions): void {
  const apply = helmet(options)
  app.addHook('onRequest', (request, reply, done) => {
    apply(request.raw, reply.raw, (error?: unknown) => { done(error as Error | undefined) })
  })
}
