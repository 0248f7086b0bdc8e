// Idempotency keys, Stripe semantics (docs/architecture.md, shared conventions). A route opts in with
// `config: { idempotency: 'required' | 'optional' }`. The first request with a
// key claims it; its answer is stored for 24 h and replayed to every retry
// with the same request, so a lost response never makes a second payment.
//
// Order on an opted-in route: global preValidation hooks (card guard), the
// key's presence and format check (so a bad key is a 400 even before auth
// answers 401), schema validation, the route's own preHandlers (auth
// sets `request.principal`), then the claim, then the handler. The claim is
// appended to the route's preHandlers because global preHandler hooks run
// before route-level ones: claiming there would let a request that auth
// refuses block the key, and the principal would not be known yet.
import { createHash } from 'node:crypto'
import fp from 'fastify-plugin'
import { Type } from '@sinclair/typebox'
import { sql, type ExpressionBuilder, type Kysely } from 'kysely'
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import { BadRequest, Conflict, Unprocessable } from './errors.js'
import type { Database, Handle } from '../db/database.js'
import type { DB } from '../db/types.js'
import { asArray } from './route-hooks.js'
import { isParsedContainer, isStream, MAX_NESTING } from '../lib/request-data.js'

export type IdempotencyMode = 'required' | 'optional'

declare module 'fastify' {
  interface FastifyContextConfig {
    idempotency?: IdempotencyMode
  }
}

export const IDEMPOTENCY_PROBLEMS: Record<400 | 409 | 422, string[]> = {
  400: ['idempotency_key_required', 'invalid_idempotency_key'],
  409: ['idempotency_key_in_use'],
  422: ['idempotency_key_reused']
}
export const IDEMPOTENCY_PROBLEM_CODES = Object.values(IDEMPOTENCY_PROBLEMS).flat()

const KEY_FORMAT = /^[\x20-\x7e]{1,255}$/
// Longer than any handler may take (the bank call times out at 15 s): a claim
// this old belongs to a process that died before answering.
const ABANDONED_AFTER = sql`interval '2 minutes'`
const RETENTION = sql`interval '24 hours'`
// Millisecond precision, so the value survives the trip through a JS Date and
// can identify this claim when its answer is stored.
const NOW_MS = sql<Date>`date_trunc('milliseconds', now())`

export function idempotencyHeaders (required: boolean) {
  const key = Type.String({
    minLength: 1,
    maxLength: 255,
    pattern: '^[\\x20-\\x7E]+$',
    description: 'A new unique value (a UUID) for every operation, 1-255 printable ASCII characters' +
      (required ? '; required here' : '; recommended') + '. Within 24 hours a retry with the same key and the same request ' +
      '(method, path with query, body) does not run again: the first answer is replayed with `Idempotent-Replayed: true`. ' +
      'The same key with a different request gives 422 `idempotency_key_reused`; while the first request is still running, ' +
      '409 `idempotency_key_in_use` (retry shortly). Keys are scoped to the API key, or shared by anonymous callers. ' +
      'A server error (5xx other than 502 `bank_unavailable`) releases the key, so a retry runs the operation again.',
    examples: ['0b6f6a3c-2a8e-4d8a-9d59-6a0f3c1f8e21']
  })
  return Type.Object({ 'idempotency-key': required ? key : Type.Optional(key) }, { additionalProperties: true })
}

/** The `id` of a created (2xx) JSON resource, e.g. "acc_…"; null for anything else. */
function resourceIdOf (status: number, body: string): string | null {
  if (status < 200 || status >= 300 || !body.startsWith('{')) return null
  try {
    const id = (JSON.parse(body) as { id?: unknown }).id
    return typeof id === 'string' && id.length <= 100 ? id : null
  } catch {
    return null
  }
}


/** JSON with object keys sorted: `{"a":1,"b":2}` and `{"b":2,"a":1}` are one request. */
function canonicalJson (value: unknown, depth = 0): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) ?? 'null'
  if (Buffer.isBuffer(value)) return JSON.stringify({ $bytes: value.toString('base64') })
  // parsed data within the bounds of every walk over a request (lib/request-data.ts); the validator refuses the rest
  if (depth >= MAX_NESTING || !isParsedContainer(value)) {
    const errors = [{ path: 'body', message: 'must be JSON data' }]
    throw new BadRequest('validation_failed', 'The request does not match the schema', {}, errors)
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => item === undefined ? 'null' : canonicalJson(item, depth + 1)).join(',')}]`
  }
  const record = value as Record<string, unknown>
  const entries = Object.keys(record).sort()
    .filter((name) => record[name] !== undefined)
    .map((name) => `${JSON.stringify(name)}:${canonicalJson(record[name], depth + 1)}`)
  return `{${entries.join(',')}}`
}

function requestHash (request: FastifyRequest): string {
  const body = request.body
  // A streamed upload cannot be read twice: only its length stands for it.
  const content = body === undefined
    ? ''
    : isStream(body)
      ? `stream:${request.headers['content-length'] ?? ''}`
      : canonicalJson(body)
  return createHash('sha256').update(`${request.method}\n${request.url}\n${content}`).digest('hex')
}

type Claim =
  | { outcome: 'claimed', lockedAt: Date }
  | { outcome: 'completed', status: number, body: string, contentType: string | null }
  | { outcome: 'in_use' | 'reused' }

async function claimKey (db: Kysely<DB>, principal: string, key: string, hash: string): Promise<Claim> {
  // A row can vanish between the statements (a released key, a purge): look again.
  for (let attempt = 0; attempt < 3; attempt++) {
    const inserted = await db.insertInto('idempotency_keys')
      .values({ principal, key, request_hash: hash, status: 'in_flight', locked_at: NOW_MS, expires_at: sql`now() + ${RETENTION}` })
      .onConflict((oc) => oc.columns(['principal', 'key']).doNothing())
      .returning('locked_at')
      .executeTakeFirst()
    if (inserted !== undefined) return { outcome: 'claimed', lockedAt: inserted.locked_at }

    // Expired keys count as absent; a claim that never finished is abandoned.
    // The WHERE is re-checked on the locked row, so one of two racers wins.
    const takenOver = await db.updateTable('idempotency_keys')
      .set({
        request_hash: hash,
        status: 'in_flight',
        response_status: null,
        response_body: null,
        response_content_type: null,
        locked_at: NOW_MS,
        created_at: sql`now()`,
        expires_at: sql`now() + ${RETENTION}`
      })
      .where('principal', '=', principal)
      .where('key', '=', key)
      .where((eb) => eb.or([
        eb('expires_at', '<=', sql<Date>`now()`),
        eb.and([eb('status', '=', 'in_flight'), eb('locked_at', '<', sql<Date>`now() - ${ABANDONED_AFTER}`)])
      ]))
      .returning('locked_at')
      .executeTakeFirst()
    if (takenOver !== undefined) return { outcome: 'claimed', lockedAt: takenOver.locked_at }

    const existing = await db.selectFrom('idempotency_keys')
      .select(['request_hash', 'status', 'response_status', 'response_body', 'response_content_type'])
      .where('principal', '=', principal)
      .where('key', '=', key)
      .where('expires_at', '>', sql<Date>`now()`)
      .executeTakeFirst()
    if (existing === undefined) continue
    if (existing.request_hash !== hash) return { outcome: 'reused' }
    if (existing.status === 'in_flight' || existing.response_status === null || existing.response_body === null) return { outcome: 'in_use' }
    return { outcome: 'completed', status: existing.response_status, body: existing.response_body, contentType: existing.response_content_type }
  }
  return { outcome: 'in_use' }
}

/** Deletes keys past their 24 h; returns how many. */
export async function purgeExpiredIdempotencyKeys (db: Database): Promise<number> {
  const result = await db.deleteFrom('idempotency_keys')
    .where('expires_at', '<=', sql<Date>`now()`)
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

/**
 * Stored answers of a person's own requests (acceptances, payments, refund and privacy requests), by the public id
 * of the resource they created: privacy's erasure calls it (offer cl. 16).
 */
export async function eraseIdempotencyRecords (db: Handle, resourceIds: string[]): Promise<number> {
  if (resourceIds.length === 0) return 0
  const result = await db.deleteFrom('idempotency_keys').where('resource_id', 'in', resourceIds).executeTakeFirst()
  return Number(result.numDeletedRows)
}

interface HeldClaim { principal: string, key: string, lockedAt: Date }

function principalOf (request: FastifyRequest): string {
  const principal = request.principal ?? null
  return principal === null ? 'public' : `key:${principal.keyId}`
}

function keyOf (request: FastifyRequest): string | undefined {
  const value = request.headers['idempotency-key']
  return typeof value === 'string' ? value : undefined
}

/** The answer worth replaying: anything but a server failure that changed nothing. */
function isFinalAnswer (statusCode: number, payload: unknown): boolean {
  if (statusCode < 500) return true
  // The payment it reports was recorded as failed: a retry must not pay again.
  if (statusCode === 502 && typeof payload === 'string') {
    try {
      return (JSON.parse(payload) as { code?: unknown }).code === 'bank_unavailable'
    } catch {
      return false
    }
  }
  return false
}

function asText (payload: unknown): string | null {
  if (payload === undefined || payload === null) return ''
  if (typeof payload === 'string') return payload
  if (Buffer.isBuffer(payload)) return payload.toString('utf8')
  return null
}

// Stored answers can hold secrets shown once (a payment's clientSecret), so
// they are kept encrypted with the PII key like personal data. Rows written
// before that are plain JSON (never starting with `v1.`) and are replayed as
// they are until they expire, within 24 h.
const SEALED = /^v1\.[A-Za-z0-9_-]{1,32}\./

export default fp(async function idempotencyPlugin (app: FastifyInstance) {
  const db = app.db
  const seal = (body: string): string => app.pii.encrypt(body)
  const open = (stored: string): string => SEALED.test(stored) ? app.pii.decrypt(stored) : stored
  const held = new WeakMap<FastifyRequest, HeldClaim>()

  // Before validation, so a bad key gets its own code rather than validation_failed.
  async function checkKey (request: FastifyRequest): Promise<void> {
    const key = keyOf(request)
    if (key === undefined) {
      if (request.routeOptions.config.idempotency === 'required') {
        throw new BadRequest('idempotency_key_required', 'This operation needs an Idempotency-Key header: a new unique value (a UUID) per operation')
      }
      return
    }
    if (!KEY_FORMAT.test(key)) {
      throw new BadRequest('invalid_idempotency_key', 'The Idempotency-Key must be 1-255 printable ASCII characters')
    }
  }

  async function claim (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const key = keyOf(request)
    if (key === undefined) return undefined
    const principal = principalOf(request)
    const found = await claimKey(db, principal, key, requestHash(request))
    switch (found.outcome) {
      case 'claimed':
        held.set(request, { principal, key, lockedAt: found.lockedAt })
        return undefined
      case 'completed':
        void reply.code(found.status).header('idempotent-replayed', 'true')
        if (found.contentType === null) return await reply.send()
        return await reply.header('content-type', found.contentType).send(open(found.body))
      case 'reused':
        throw new Unprocessable('idempotency_key_reused', 'This Idempotency-Key was used for a different request (method, path or body); use a new key for a new operation')
      case 'in_use':
        throw new Conflict('idempotency_key_in_use', 'A request with this Idempotency-Key is still being processed; retry shortly')
    }
  }

  async function store (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    const mine = held.get(request)
    if (mine === undefined) return payload
    held.delete(request)
    const body = asText(payload)
    const own = (eb: ExpressionBuilder<DB, 'idempotency_keys'>) => eb.and([
      eb('principal', '=', mine.principal), eb('key', '=', mine.key),
      eb('status', '=', 'in_flight'), eb('locked_at', '=', mine.lockedAt)
    ])
    try {
      if (body !== null && isFinalAnswer(reply.statusCode, payload)) {
        const contentType = reply.getHeader('content-type')
        await db.updateTable('idempotency_keys')
          .set({ status: 'completed', response_status: reply.statusCode, response_body: seal(body), response_content_type: contentType === undefined ? null : String(contentType), resource_id: resourceIdOf(reply.statusCode, body) })
          .where(own)
          .execute()
      } else {
        // A server failure, or an answer that cannot be kept: the retry runs again.
        if (body === null) request.log.warn('idempotent response is a stream: it cannot be replayed, the key is released')
        await db.deleteFrom('idempotency_keys').where(own).execute()
      }
    } catch (err) {
      // The operation is done; its answer must reach the client even if it
      // cannot be kept. The claim will count as abandoned after 2 minutes.
      // Only the SQLSTATE: a Postgres error's detail may quote the response.
      request.log.error({ sqlState: (err as { code?: unknown }).code }, 'could not store the idempotent response')
    }
    return payload
  }

  app.addHook('onRoute', (route: RouteOptions) => {
    const mode = route.config?.idempotency
    if (mode === undefined) return
    if (mode !== 'required' && mode !== 'optional') throw new Error(`config.idempotency must be 'required' or 'optional' on ${route.url}`)
    // fastify copies a GET route's options for its HEAD route: add each hook once.
    const preValidation = asArray(route.preValidation)
    if (!preValidation.includes(checkKey)) route.preValidation = [...preValidation, checkKey]
    const preHandler = asArray(route.preHandler)
    if (!preHandler.includes(claim)) route.preHandler = [...preHandler, claim]
    const onSend = asArray(route.onSend)
    if (!onSend.includes(store)) route.onSend = [...onSend, store]
  })
}, { name: 'idempotency', dependencies: ['database', 'pii'] })
