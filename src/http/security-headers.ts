// The security headers of every response (helmet's: a Content-Security-Policy, HSTS on https, nosniff, frame and
// referrer policies, no X-Powered-By). Helmet's headers depend only on its options, so its middleware runs once,
// at startup, against a recording response, and every request gets the recorded headers through Fastify's reply.
// @fastify/helmet built the middleware again for every request (options parsed, the policy string assembled),
// about 5% of a lookup's time; and a header set on the raw response sends Node down its slow path, which sets
// every one of the reply's own headers again one by one. A route that needs another policy (the receipt page,
// the sandbox bank's page) sets its own header, which wins.
import type { IncomingMessage, ServerResponse } from 'node:http'
import * as helmetModule from 'helmet'
import type { HelmetOptions } from 'helmet'

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void
type Helmet = (options?: Readonly<HelmetOptions>) => Middleware

// helmet ships CommonJS typings next to its ESM build: resolved as ESM (tsx, tsc) the namespace's default is the
// function; resolved as CommonJS (tap's loader type-checking a child process) it is the module, whose default it is
const helmet: Helmet = typeof helmetModule.default === 'function'
  ? helmetModule.default as unknown as Helmet
  : (helmetModule.default as unknown as { default: Helmet }).default

/**
 * The headers helmet sets with these options, by lower-case name; what it removes (X-Powered-By) Fastify never sets.
 */
export function helmetHeaders (options: HelmetOptions): Record<string, string> {
  // a directive computed per request (a nonce) would be frozen at its first value: refused, not recorded
  const directives = typeof options.contentSecurityPolicy === 'object' ? Object.values(options.contentSecurityPolicy.directives ?? {}) : []
  if (directives.flat().some((value) => typeof value === 'function')) throw new TypeError('security headers are recorded once: a Content-Security-Policy directive cannot be computed per request')
  const headers: Record<string, string> = {}
  const recorder = {
    setHeader (name: string, value: unknown) { headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value) },
    removeHeader (name: string) { Reflect.deleteProperty(headers, name.toLowerCase()) }
  }
  let failure: unknown = null
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    failure = error ?? null
  })
  if (failure !== null) throw failure as Error
  return headers
}
