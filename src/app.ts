import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import cors from '@fastify/cors'
import rateLimit from '@fastify/rate-limit'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { AppConfig } from './config.js'
import { configPlugin, eventNamesPlugin, piiPlugin } from './app-context.js'
import databasePlugin from './db/plugin.js'
import authPlugin from './http/auth.js'
import {
  AppError, clientErrorHandler, frameworkErrorHandler, registerErrorHandling, setEdgeHeaders
} from './http/errors.js'
import { checkBodyHeaders } from './http/media-types.js'
import { setCacheControl } from './http/cache-control.js'
import { limitBodyTime } from './http/body-time.js'
import { buildValidator } from './http/validation.js'
import { buildSerializer } from './http/serialization.js'
import { registerOpenApi } from './http/openapi.js'
import { lazyRequestLogger, RequestLog } from './http/request-log.js'
import { helmetHeaders } from './http/security-headers.js'
import { documentCommonProblems, SHARED_SCHEMAS } from './http/schemas.js'
import healthRoutes from './modules/health/routes.js'
import offerRoutes from './modules/offers/routes.js'
import agencyRoutes from './modules/agency/routes.js'
import apiKeyRoutes from './modules/api-keys/routes.js'
import { keyLookup } from './modules/api-keys/service.js'
import auditRoutes from './modules/audit/routes.js'
import debtRoutes from './modules/debts/routes.js'
import ledgerRoutes from './modules/ledger/routes.js'
import acceptanceRoutes from './modules/acceptances/routes.js'
import paymentRoutes from './modules/payments/routes.js'
import callbackRoutes from './modules/payments/callback-routes.js'
import kaspiChannelRoutes from './modules/channels/kaspi-routes.js'
import { claimPayments } from './modules/payments/claims.js'
import refundRoutes from './modules/refunds/routes.js'
import channelRegistryRoutes from './modules/channels/registry-routes.js'
import settlementRoutes from './modules/settlements/routes.js'
import calendarRoutes from './modules/calendar/routes.js'
import privacyRoutes from './modules/privacy/routes.js'
import metricsPlugin, { httpRequestDurations } from './modules/metrics/plugin.js'
import metricsRoutes from './modules/metrics/routes.js'
import bankPlugin from './bank/plugin.js'
import { sandboxBank } from './bank/sandbox/plugin.js'
import { kaspiSandbox } from './bank/kaspi-sandbox/plugin.js'
import notificationsPlugin from './modules/notifications/plugin.js'
import { sandboxMailbox } from './modules/notifications/sandbox-mailbox.js'
import mailOutboxRoutes from './modules/notifications/routes.js'
import partnerApi from './modules/partners/routes.js'
import creditorRoutes from './modules/creditors/routes.js'
import { publicPaymentLinkRoutes } from './modules/payment-links/routes.js'
import { pathWithoutPaymentLinkTokens } from './modules/payment-links/token.js'
import { WEBHOOKS_DESCRIPTION, eventSchemas, webhooksSection } from './modules/events/openapi.js'
import cardGuard from './http/card-guard.js'
import idempotency from './http/idempotency.js'
import { pathWithoutCardData } from './lib/card-data.js'
import { clientKey } from './lib/ip.js'
import type { LogDestination } from './lib/log-format.js'
import { formatDuration } from './lib/i18n.js'

export interface BuildOptions {
  /** Pino options or false; tests pass false. */
  logger?: FastifyServerOptions['logger']
}

/** The rate limit of every route that names none of its own (RATE_LIMIT_PER_MINUTE). */
const GLOBAL_RATE_LIMIT_WINDOW_MS = 60_000

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** The window of a route's rate limit in ms: its own `timeWindow` when it is a number, else the default minute. */
function rateLimitWindowMs (routeLimit: unknown): number {
  const window = typeof routeLimit === 'object' && routeLimit !== null
    ? (routeLimit as { timeWindow?: unknown }).timeWindow
    : undefined
  return typeof window === 'number' && window > 0 ? window : GLOBAL_RATE_LIMIT_WINDOW_MS
}

/** TRUST_PROXY as a hop count: believe that many proxies in front of us. */
function trustHops (hops: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < hops
}

/** Keys whose values pino must never print: secrets and personal data (docs/architecture.md, shared conventions). */
const SECRET_KEYS = [
  'clientSecret', 'iin', 'email', 'phone', 'fullName', 'debtorName', 'payer', 'ip',
  'password', 'secret', 'secretKey', 'key', 'card_number', 'pg_user_phone', 'pg_user_contact_email', 'pg_user_ip',
  'to', 'recipient', 'smtpUrl', 'auth', 'pass', 'token', 'paymentLinkToken'
]

/** Where: a line's own keys (`log.info({ email })`) and those of the objects it holds (`{ body: { email } }`). */
export const REDACT_PATHS = [
  'req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]', 'req.headers["x-client-secret"]',
  ...SECRET_KEYS, ...SECRET_KEYS.map((key) => `*.${key}`)
]


export function loggerOptions (level: string, stream?: LogDestination): FastifyServerOptions['logger'] {
  return {
    level,
    // a readable destination on a terminal (lib/log-format.ts): pino redacts and serialises before it writes there
    ...(stream !== undefined ? { stream } : {}),
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      // Only the path: query strings and client addresses are personal data,
      // and a path holding a card number (refused by the card guard) is not printed, nor a payment link's token.
      req: (req: { method: string, url: string, id: string }) => ({
        method: req.method,
        path: pathWithoutPaymentLinkTokens(pathWithoutCardData(req.url)),
        requestId: req.id
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode })
    }
  }
}

export async function buildApp (config: AppConfig, options: BuildOptions = {}): Promise<FastifyInstance> {
  const requestLog = new RequestLog()
  // every answer's, those refused before routing included (http/errors.ts)
  const edgeHeaders = helmetHeaders({
    contentSecurityPolicy: {
      directives: { 'form-action': null, 'script-src': ["'self'"], 'img-src': ["'self'", 'data:'] }
    },
    hsts: config.publicBaseUrl.startsWith('https://')
  })
  const app = Fastify({
    logger: options.logger ?? loggerOptions(config.logLevel),
    // one line per request instead of two (http/request-log.ts)
    logController: requestLog,
    // request.log is made when something logs through it (http/request-log.ts)
    childLoggerFactory: lazyRequestLogger,
    bodyLimit: config.bodyLimitBytes,
    // A connection that sends nothing is closed, before its first request or between requests; without it, idle
    // connections held every descriptor the process may open.
    connectionTimeout: config.http.idleTimeoutMs,
    keepAliveTimeout: config.http.idleTimeoutMs,
    // A request's line and headers have HTTP_HEADERS_TIMEOUT_MS from its first byte (a new connection's from its
    // opening): Node reports ERR_HTTP_REQUEST_TIMEOUT, answered 408 `request_timeout` (http/errors.ts). Node checks
    // its connections every connectionsCheckingInterval (30 s by default); here every tenth of the limit, at most
    // every second, so the limit holds to within that.
    // Node's requestTimeout stays 0: it is a total for headers and body, and would cut a 1 GiB portfolio sent
    // steadily; bodies have their own clock (http/body-time.ts).
    http: {
      headersTimeout: config.http.headersTimeoutMs,
      requestTimeout: 0,
      connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(config.http.headersTimeoutMs / 10)))
    },
    // Never trust X-Forwarded-For from anyone: a client could pick its own
    // address and walk around the rate limits and risk rules.
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
    },
    routerOptions: { ignoreTrailingSlash: true },
    // what the framework refuses before a route runs is a problem document too
    frameworkErrors: frameworkErrorHandler(edgeHeaders),
    clientErrorHandler: clientErrorHandler(edgeHeaders),
    // one validator configuration for every plugin context (see http/validation.ts)
    // (typed for Ajv's own compile functions; ours returns Fastify's `{ value }` result, which Fastify accepts);
    // what both compile is kept for the next app this process builds (http/compiled-schemas.ts)
    schemaController: { compilersFactory: { buildValidator: buildValidator as never, buildSerializer } }
  }).withTypeProvider<TypeBoxTypeProvider>()

  // connections past this are refused at accept: the pool, the worker and outbound calls keep their descriptors
  app.server.maxConnections = config.http.maxConnections
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema)
  requestLog.attach(app.log)
  registerErrorHandling(app)
  app.addHook('onRoute', documentCommonProblems)
  // every route is timed by a hook of its own, so these come before any route (modules/metrics/request-durations.ts)
  const durations = httpRequestDurations()
  app.addHook('onRoute', durations.onRoute)
  app.addHook('onResponse', durations.onUnmatched)
  // the request id and the security headers, on every answer (and on those refused before routing: http/errors.ts)
  app.addHook('onRequest', (request, reply, done) => { setEdgeHeaders(reply, request.id, edgeHeaders); done() })
  // what a body may be, from its headers, before it is read (http/media-types.ts); JSON is parsed, text is not
  checkBodyHeaders(app)
  // no-store on every /v1 answer but the offer's and the agency's (http/cache-control.ts)
  setCacheControl(app)
  app.removeContentTypeParser('text/plain')
  // and how long it may take to arrive (http/body-time.ts): in all, or at a pace where a route streams it
  limitBodyTime(app, config.http.bodyTimeoutMs)

  // The API document and Swagger UI belong to the api role; a worker serves only its probes and metrics.
  if (config.role !== 'worker') {
    await registerOpenApi(app, config, {
      description: WEBHOOKS_DESCRIPTION, section: webhooksSection, events: eventSchemas
    })
  }
  // No allowed origin: no CORS headers and no preflight answer, which is what the plugin does then anyway, without
  // its hook on every request.
  if (config.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: config.corsOrigins,
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Content-Type', 'Idempotency-Key', 'X-Request-Id', 'Authorization', 'X-Client-Secret'],
      exposedHeaders: ['X-Request-Id', 'Idempotent-Replayed', 'Retry-After'],
      maxAge: 600
    })
  }
  await app.register(configPlugin, { config })
  await app.register(piiPlugin, { config })
  await app.register(eventNamesPlugin)
  await app.register(databasePlugin, { url: config.databaseUrl, poolMax: config.databasePoolMax })
  await app.register(metricsPlugin, { config, durations })
  await app.register(authPlugin, { keys: keyLookup })
  await app.register(bankPlugin, { config })
  await app.register(notificationsPlugin, { config })
  // The sandboxes fake the world: mounted only in their modes, and never by a worker. Before the rate limiter, like
  // the bank itself: the sandbox bank's traffic is the bank's, not a client's.
  if (config.role !== 'worker' && config.bank.mode === 'sandbox') {
    await app.register(sandboxBank, {
      prefix: '/sandbox/bank',
      db: app.db,
      merchantId: config.bank.merchantId,
      secretKey: config.bank.secretKey,
      merchantName: config.agency.name,
      // the sandbox calls back only under our own public address, and sends payers back only to it or our website
      callbackBaseUrl: config.publicBaseUrl,
      returnOrigins: [config.publicBaseUrl, config.agency.website],
      // a fault breaks everyone's payments: an admin key's decision
      authorizeFaults: app.requireScopes()
    })
  }
  if (config.role !== 'worker' && config.mail.mode === 'sandbox') await app.register(sandboxMailbox, { prefix: '/sandbox' })

  await app.register(rateLimit, {
    max: config.rateLimitPerMinute,
    timeWindow: GLOBAL_RATE_LIMIT_WINDOW_MS,
    // per IPv4 address, per IPv6 /64 (one subscriber's allocation); route limits inherit it
    keyGenerator: (request) => clientKey(request.ip),
    // the route's own window (its rateLimit config, else this default), never the plugin's `after`: that is the time
    // left until the window resets, which read as "at most 10 per 37 seconds"
    errorResponseBuilder: (request, context) => {
      const windowSeconds = Math.max(1, Math.round(rateLimitWindowMs(request.routeOptions.config.rateLimit) / 1000))
      const retryAfterSeconds = Math.max(1, Math.ceil(context.ttl / 1000))
      return new AppError(429, 'rate_limited', 'Too many requests',
        `Too many requests: at most ${context.max} per ${formatDuration('en', windowSeconds)}; retry in ${retryAfterSeconds} s`,
        { retryAfterSeconds, limit: context.max, windowSeconds })
    }
  })

  await app.register(cardGuard)
  await app.register(idempotency)

  // after the rate limiter, which reaches only the routes added after it (modules/metrics/routes.ts)
  await app.register(metricsRoutes)
  await app.register(healthRoutes, { prefix: '/health' })
  // A worker process serves only its health probes and /metrics.
  if (config.role === 'worker') return app
  await app.register(offerRoutes, { prefix: '/v1' })
  await app.register(agencyRoutes, { prefix: '/v1' })
  await app.register(apiKeyRoutes, { prefix: '/v1/admin' })
  await app.register(auditRoutes, { prefix: '/v1/admin' })
  await app.register(creditorRoutes, { prefix: '/v1/admin' })
  await app.register(debtRoutes, { prefix: '/v1', payments: claimPayments })
  await app.register(ledgerRoutes, { prefix: '/v1' })
  await app.register(acceptanceRoutes, { prefix: '/v1' })
  await app.register(publicPaymentLinkRoutes, { prefix: '/v1' })
  await app.register(paymentRoutes, { prefix: '/v1' })
  await app.register(callbackRoutes, { prefix: '/v1' })
  // Kaspi's check/pay (DESIGN 17): not mounted at all when off, so it is a 404 like any unknown path
  if (config.kaspi.mode !== 'off') await app.register(kaspiChannelRoutes, { prefix: '/v1' })
  // the Kaspi app played against that channel over real HTTP, at our public address as Kaspi would call it; after the
  // rate limiter, since its caller is whoever plays the payer
  if (config.kaspi.mode === 'sandbox') {
    await app.register(kaspiSandbox, {
      prefix: '/sandbox/kaspi', db: app.db, channelUrl: `${config.publicBaseUrl}/v1/channels/kaspi`
    })
  }
  await app.register(refundRoutes, { prefix: '/v1' })
  await app.register(channelRegistryRoutes, { prefix: '/v1' })
  await app.register(settlementRoutes, { prefix: '/v1' })
  await app.register(calendarRoutes, { prefix: '/v1/admin' })
  await app.register(privacyRoutes, { prefix: '/v1' })
  await app.register(mailOutboxRoutes, { prefix: '/v1/admin' })
  await app.register(partnerApi, { prefix: '/v1' })

  return app
}
