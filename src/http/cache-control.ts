// What a cache may keep of a /v1 answer (DESIGN 16): nothing, unless the route says otherwise. A payment carries its
// client secret, a receipt names the payer, a lookup a debtor, a key or a webhook secret is shown once, back-office
// reads hold personal data: none of it belongs in a browser's or a proxy's cache. Only what is the same for everyone
// and public (the offer, the agency's requisites) names its own `config.cacheControl`. Problem documents are always
// `no-store` (http/errors.ts). Set when the route is added, as the route's first onRequest hook: nothing per request
// but the header.
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import { asArray } from './route-hooks.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The Cache-Control of the route's answers; `no-store` when not given (every /v1 route). */
    cacheControl?: string
  }
}

const CACHE_CONTROL = Symbol('cache control')
type Hook = (request: FastifyRequest, reply: FastifyReply, done: () => void) => void

export function cacheControlOf (route: Pick<RouteOptions, 'url' | 'config'>): string | null {
  return route.config?.cacheControl ?? (route.url.startsWith('/v1/') ? 'no-store' : null)
}

export function setCacheControl (app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const value = cacheControlOf(route)
    if (value === null) return
    const hooks = asArray(route.onRequest) as Hook[]
    if (hooks.some((hook) => CACHE_CONTROL in hook)) return
    const hook = Object.assign((_request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
      void reply.header('cache-control', value)
      done()
    }, { [CACHE_CONTROL]: true })
    route.onRequest = [hook, ...hooks] as RouteOptions['onRequest']
  })
}
