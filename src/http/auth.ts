// Back-office access (docs/architecture.md, back office): `Authorization: Bearer <key>`.
// 401 `unauthenticated` when the key is missing, unknown, revoked, expired or used from an address outside its
// allowlist (the same answer for each, the reason in the log); 403 `forbidden` when it lacks the scope. `admin` may
// do what `operator` may.
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import { Forbidden, Unauthenticated } from './errors.js'
import { asArray } from './route-hooks.js'
import { toPublicId } from '../lib/ids.js'
import { inAddressRanges, parseAddressRange, type AddressRange } from '../lib/ip.js'
import type { Database } from '../db/database.js'
import type { Actor } from '../lib/actor.js'
import type { Scope } from '../lib/scopes.js'

/**
 * What authentication needs of the API keys, given by the composition root (app.ts passes the api-keys module's
 * `keyLookup`): the edge imports no module (docs/architecture.md, "Layers").
 */
export interface LiveKey {
  id: string
  name: string
  scopes: string[]
  creditors: string[]
  /** Past it the key is refused as an unknown one; null: no expiry. */
  expiresAt: Date | null
  /** Addresses and CIDRs the key may be used from (the client as `request.ip` gives it); empty: any. */
  allowedIps: readonly string[]
}

export interface KeyLookup {
  /** The live (not revoked) key with this secret. */
  findLive: (db: Database, secret: string) => Promise<LiveKey | undefined>
  /** Records that the key was used (best effort: the caller logs a failure). */
  recordUse: (db: Database, keyId: string) => Promise<void>
}

export interface Principal {
  keyId: string
  name: string
  scopes: Scope[]
  /** A partner key's creditors (docs/architecture.md, partners, events and webhooks); empty for other keys. */
  creditors: string[]
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null
  }
  interface FastifyInstance {
    requireScopes: (...scopes: Scope[]) => preHandlerAsyncHookHandler
    /** The partner API: a key with the partner scope (and so its creditors); an admin key alone is not a partner. */
    requirePartner: () => preHandlerAsyncHookHandler
  }
}

const BEARER = /^Bearer ([A-Za-z0-9_-]{16,256})$/

const UNKNOWN_KEY = 'Unknown or revoked API key'

/** Why a live key may not be used for this request (expired, another address), or null when it may. */
function refusal (key: LiveKey, address: string, now: Date): 'expired' | 'address_not_allowed' | null {
  if (key.expiresAt !== null && key.expiresAt.getTime() <= now.getTime()) return 'expired'
  if (key.allowedIps.length === 0) return null
  const ranges = key.allowedIps.map((entry) => parseAddressRange(entry)).filter((r): r is AddressRange => r !== null)
  return inAddressRanges(ranges, address) ? null : 'address_not_allowed'
}

/**
 * The scopes each guard accepts, by the guard itself: what `requireScopes`/`requirePartner` enforce is what the
 * document says (each guarded operation's `security` is `[{apiKey: <these scopes>}]`, set when the route is added).
 */
const GUARD_SCOPES = new WeakMap<object, readonly Scope[]>()

/** The scopes a route's preHandlers accept, or undefined when none of them is a key guard (a public route). */
export function acceptedScopes (preHandler: unknown): readonly Scope[] | undefined {
  for (const hook of asArray(preHandler)) {
    const scopes = typeof hook === 'function' ? GUARD_SCOPES.get(hook) : undefined
    if (scopes !== undefined) return scopes
  }
  return undefined
}

export function actorOf (request: FastifyRequest): Actor {
  return { keyId: request.principal?.keyId ?? null, requestId: String(request.id), ip: request.ip }
}

export default fp(async function authPlugin (app: FastifyInstance, { keys }: { keys: KeyLookup }) {
  app.decorateRequest('principal', null)

  function requireOneOf (accepted: Scope[]): preHandlerAsyncHookHandler {
    const allowed = new Set(accepted)
    const guard: preHandlerAsyncHookHandler = async function authenticate (request) {
      const header = request.headers.authorization
      if (header === undefined) throw new Unauthenticated()
      const match = BEARER.exec(header)
      if (match === null) throw new Unauthenticated('The Authorization header must be `Bearer <key>`')
      const key = await keys.findLive(app.db, match[1] as string)
      if (key === undefined) throw new Unauthenticated(UNKNOWN_KEY)
      const refused = refusal(key, request.ip, new Date())
      if (refused !== null) {
        // the same answer as an unknown key: a client learns nothing of the key it holds; the log says why
        request.log.info({ keyId: toPublicId('apiKey', key.id), reason: refused }, 'API key refused')
        throw new Unauthenticated(UNKNOWN_KEY)
      }
      request.principal = { keyId: key.id, name: key.name, scopes: key.scopes as Scope[], creditors: key.creditors }
      if (!key.scopes.some((s) => allowed.has(s as Scope))) {
        throw new Forbidden('forbidden', `This operation needs one of the scopes: ${[...allowed].join(', ')}`)
      }
      keys.recordUse(app.db, key.id).catch((err: unknown) => { request.log.warn({ err }, 'could not record key use') })
    }
    GUARD_SCOPES.set(guard, [...allowed])
    return guard
  }
  app.decorate('requireScopes', (...scopes: Scope[]): preHandlerAsyncHookHandler => requireOneOf([...scopes, 'admin']))
  app.decorate('requirePartner', (): preHandlerAsyncHookHandler => requireOneOf(['partner']))
  // DESIGN 23: the scopes an operation accepts are machine-readable, from its guard (OpenAPI 3.1 allows role names
  // for any scheme)
  app.addHook('onRoute', (route) => {
    const scopes = acceptedScopes(route.preHandler)
    if (scopes === undefined || route.schema === undefined) return
    route.schema = { ...route.schema, security: [{ apiKey: [...scopes] }] }
  })
}, { name: 'auth', dependencies: ['database'] })
