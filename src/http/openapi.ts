import { readFileSync } from 'node:fs'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../config.js'

export const API_TAGS = [
  { name: 'Offer', description: 'The public offer the client accepts before paying (offer cl. 1, 20, 24)' },
  { name: 'Debts', description: 'Finding the debt to pay (offer cl. 3)' },
  { name: 'Payments', description: 'Accepting the offer and paying by card on the bank\'s hosted page (offer cl. 2-4, 8)' },
  { name: 'Refunds', description: 'Written refund requests and their progress (offer cl. 5)' },
  { name: 'Privacy', description: 'Withdrawing consent to the processing of personal data and the confirmation of its destruction (offer cl. 16)' },
  { name: 'Agency', description: 'Requisites and support contacts of the agency (offer cl. 10, 25)' },
  { name: 'Admin: API keys', description: 'Back-office API keys (scope admin)' },
  { name: 'Admin: creditors', description: 'The creditors on record, their remittances and statements (DESIGN 18)' },
  { name: 'Admin: debts', description: 'Portfolio imports and debt administration' },
  { name: 'Admin: ledger', description: 'The double-entry ledger behind every balance: a debt\'s entries, the trial balance' },
  { name: 'Admin: payments', description: 'Payments with their timelines' },
  { name: 'Admin: refunds', description: 'Official answers, refunds and returns of suspicious payments (offer cl. 5, 8)' },
  { name: 'Admin: channels', description: 'The payment channels besides the card page (Kaspi): their daily registries compared with our payments' },
  { name: 'Admin: settlements', description: 'The acquirers\' payouts booked against our payments, and the payments still waiting for theirs' },
  { name: 'Admin: calendar', description: 'Kazakhstan non-working days (holidays, decree transfers) behind every business-day deadline' },
  { name: 'Admin: privacy', description: 'Consent withdrawals, legal holds and overdue destructions (offer cl. 16)' },
  { name: 'Admin: notifications', description: 'The emails the service sends (receipts, official answers, privacy messages) and their delivery' },
  { name: 'Partner', description: 'A creditor\'s own payments, debts, events and daily reports (a `partner` key bound to its creditors)' },
  { name: 'Partner: payment links', description: 'Links to pay a debt of the creditor\'s, sent in the creditor\'s own letters' },
  { name: 'Admin: payment links', description: 'Links to pay a debt, one by one or in batches, sent in letters' },
  { name: 'Partner: webhooks', description: 'Endpoints that receive the creditor\'s events, signed per Standard Webhooks' },
  { name: 'Admin: events', description: 'Every event the service emits' },
  { name: 'Admin: webhooks', description: 'Endpoints of the agency\'s own systems, receiving every event' },
  { name: 'Admin: reports', description: 'Daily reconciliation reports that tie to the ledger' },
  { name: 'Bank callbacks', description: 'Called by the acquiring bank only (signed with pg_sig)' },
  { name: 'Channels', description: 'Called by payment channels only (Kaspi check/pay: the debt\'s payment code; answered to the channel\'s addresses only)' },
  { name: 'Admin: audit', description: 'Append-only record of every back-office action' },
  { name: 'Admin: offers', description: 'Publishing offer versions' },
  { name: 'Health', description: 'Liveness and readiness probes' }
]

type OpenApiDoc = Record<string, any>

/**
 * The version in package.json, which `info.version` states (the CHANGELOG and the versioning policy in docs/api.md
 * follow it). Found upward from this file: src/http in a checkout, dist/src/http in the image.
 */
export function packageVersion (from: URL = new URL('.', import.meta.url)): string {
  for (let dir = from; ; dir = new URL('..', dir)) {
    try {
      return (JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { version: string }).version
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOENT' || dir.pathname === '/') throw error
    }
  }
}

/** DESIGN 19: a problem's title and detail are in the language the request asked for. */
const CONTENT_LANGUAGE = {
  description: 'The language of `title` and `detail`: the first of kk, ru, en the request\'s Accept-Language names ' +
    '(RFC 9110 q-values; kk-KZ is kk); without one, ru. ' +
    '`code`, `type`, `status` and the other fields are the same in every language.',
  schema: { type: 'string' as const, enum: ['kk', 'ru', 'en'] }
}

/**
 * DESIGN 23: the response headers, documented once and referenced where sent. The request id is on every answer
 * (http/errors.ts, setEdgeHeaders); a replay says so (http/idempotency.ts); the rate limiter (app.ts) counts on every
 * answer of a limited route and says when to come back on its 429.
 */
const RESPONSE_HEADERS = {
  XRequestId: {
    description: 'The request\'s id: the client\'s own `X-Request-Id` when it sent a valid one, else a UUID; ' +
      'a problem\'s `requestId` and the service\'s log carry it too',
    schema: { type: 'string' as const, examples: ['4b1c8e5e-2f0a-4d55-9c1e-6f1f2a3b4c5d'] }
  },
  IdempotentReplayed: {
    description: 'Sent as `true` when this is the stored answer to an earlier request with the same Idempotency-Key',
    schema: { type: 'string' as const, enum: ['true'] }
  },
  RetryAfter: {
    description: 'Seconds to wait before asking again',
    schema: { type: 'integer' as const, minimum: 1, examples: [30] }
  },
  XRateLimitLimit: {
    description: 'Requests allowed in the route\'s window, per client address (per IPv6 /64)',
    schema: { type: 'integer' as const, minimum: 0, examples: [100] }
  },
  XRateLimitRemaining: {
    description: 'Requests left in the current window',
    schema: { type: 'integer' as const, minimum: 0, examples: [99] }
  },
  XRateLimitReset: {
    description: 'Seconds until the current window resets',
    schema: { type: 'integer' as const, minimum: 0, examples: [60] }
  }
}

const header = (name: keyof typeof RESPONSE_HEADERS): { $ref: string } => ({ $ref: `#/components/headers/${name}` })

/** The headers each response of an operation sends, by the operation's own traits (DESIGN 23). */
function responseHeaders (operation: OpenApiDoc, status: string): Record<string, { $ref: string }> {
  const headers: Record<string, { $ref: string }> = { 'X-Request-Id': header('XRequestId') }
  const idempotent = (operation.parameters as OpenApiDoc[] | undefined)
    ?.some((p) => p.in === 'header' && String(p.name).toLowerCase() === 'idempotency-key') === true
  if (idempotent && status.startsWith('2')) headers['Idempotent-Replayed'] = header('IdempotentReplayed')
  // a 429 is documented exactly on the rate-limited routes (http/schemas.ts, commonProblems)
  if (operation.responses?.['429'] !== undefined) {
    headers['X-RateLimit-Limit'] = header('XRateLimitLimit')
    headers['X-RateLimit-Remaining'] = header('XRateLimitRemaining')
    headers['X-RateLimit-Reset'] = header('XRateLimitReset')
  }
  if (status === '429' || status === '503') headers['Retry-After'] = header('RetryAfter')
  return headers
}

const SUCCESS_TEXT: Record<string, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No content' }

/**
 * Every 4xx/5xx response is a problem document: the schemas say `Problem`,
 * this says its media type is `application/problem+json` (RFC 9457).
 * Success responses get a plain description instead of fastify's default.
 */
function problemMediaTypes (doc: OpenApiDoc): OpenApiDoc {
  for (const pathItem of Object.values(doc.paths ?? {}) as OpenApiDoc[]) {
    for (const operation of Object.values(pathItem) as OpenApiDoc[]) {
      for (const [status, response] of Object.entries(operation.responses ?? {}) as Array<[string, OpenApiDoc]>) {
        if (Number(status) >= 400 && response.content?.['application/json'] !== undefined) {
          response.content = { 'application/problem+json': response.content['application/json'] }
          response.headers = { ...response.headers, 'Content-Language': { $ref: '#/components/headers/ContentLanguage' } }
        }
        response.headers = { ...response.headers, ...responseHeaders(operation, status) }
        if (response.description === 'Default Response') response.description = SUCCESS_TEXT[status] ?? 'Success'
      }
    }
  }
  return doc
}

/**
 * The document's `webhooks` section and the Webhooks chapter of its description, given by the composition root
 * (app.ts passes the module that sends them): the edge imports no module (docs/architecture.md, "Layers").
 */
export interface WebhooksDocument {
  description: string
  section: () => Record<string, unknown>
  /** The typed events (DESIGN 23): component schemas, and the one each audience's event operations answer. */
  events: () => { schemas: Record<string, unknown>, admin: string, partner: string }
}

/**
 * Puts the typed events in the document: the event operations of /v1/admin and /v1/partner answer the audience's
 * `oneOf` instead of the generic `Event` the routes serialise, which is then referenced no more.
 */
function typedEvents (doc: OpenApiDoc, events: ReturnType<WebhooksDocument['events']>): void {
  const schemas = doc.components.schemas as OpenApiDoc
  Object.assign(schemas, events.schemas)
  for (const name of [events.admin, events.partner]) {
    // the example: the first type whose object has an example of its own, with it
    const named = (node: OpenApiDoc): OpenApiDoc => schemas[String(node.$ref).split('/').pop() as string]
    const branch = (schemas[name].oneOf as OpenApiDoc[]).map(named)
      .find((b) => named(b.properties.data.properties.object)?.examples?.[0] !== undefined)
    if (branch === undefined) continue
    schemas[name].examples = [{
      id: 'evt_0193b3f2a4c07d1e8b5a2f6c9d0e1f23',
      type: branch.properties.type.const,
      createdAt: '2026-11-25T10:02:11.000Z',
      data: { object: named(branch.properties.data.properties.object).examples[0] }
    }]
  }
  const generic = '"$ref":"#/components/schemas/Event"'
  for (const [path, item] of Object.entries(doc.paths ?? {}) as Array<[string, OpenApiDoc]>) {
    const audience = path.startsWith('/v1/admin/') ? events.admin : path.startsWith('/v1/partner/') ? events.partner : null
    if (audience === null || !JSON.stringify(item).includes(generic)) continue
    doc.paths[path] = JSON.parse(JSON.stringify(item).replaceAll(generic, `"$ref":"#/components/schemas/${audience}"`))
  }
  const { Event: _generic, ...rest } = doc.components.schemas as OpenApiDoc
  if (!JSON.stringify(doc).includes(generic)) doc.components.schemas = rest
}

export async function registerOpenApi (
  app: FastifyInstance, config: Config, webhooks: WebhooksDocument
): Promise<void> {
  await app.register(swagger, {
    // DESIGN 23: a const stays a const (`personalDataConsent: const true`), not a one-value enum
    convertConstToEnum: false,
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Debt payments API',
        version: packageVersion(),
        description: 'Payments API of a Kazakhstan debt-collection agency (ТОО «Коллекторское агентство «Эксперт Плюс»). ' +
          'Clients read and accept the public offer, find their debt, and pay by card on the acquiring bank\'s hosted page (FFIN Payments / Freedom Pay). ' +
          'Money is always integer minor units (tiyn) with currency KZT. Errors are RFC 9457 problem documents with a stable `code`; their `title` and `detail` follow ' +
          'Accept-Language (kk, ru or en, said in Content-Language), the `code` never does.' + webhooks.description,
        contact: { name: 'Support', email: config.agency.supportEmail }
      },
      servers: [{ url: config.publicBaseUrl }],
      tags: API_TAGS,
      components: {
        headers: { ContentLanguage: CONTENT_LANGUAGE, ...RESPONSE_HEADERS },
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'Back-office API key (`kap_…`); each operation lists the scopes it accepts (admin, operator, partner)' },
          metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, required by GET /metrics when it is set' }
        }
      }
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => typeof json.$id === 'string' ? json.$id : `def-${i}`
    },
    transformObject: (documentObject) => {
      const doc = problemMediaTypes((documentObject as { openapiObject: OpenApiDoc }).openapiObject)
      typedEvents(doc, webhooks.events())
      // the API is public (offer cl. 1), not an internal server: its audience said (OWASP API9, inventory)
      for (const server of (doc.servers ?? []) as OpenApiDoc[]) server['x-internal'] = false
      // OpenAPI 3.1: what the service sends to partners' endpoints (docs/architecture.md, partners, events and
      // webhooks)
      doc.webhooks = webhooks.section()
      return doc
    }
  })
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true } })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}
