import type { Database, Handle } from '../../db/database.js'
import type { KeyLookup, LiveKey } from '../../http/auth.js'
import { DomainError } from '../../lib/errors.js'
import { fromPublicId, toPublicId, uuidv7 } from '../../lib/ids.js'
import { recordAudit, SYSTEM_ACTOR, type Actor, type AuditEntry } from '../audit/service.js'
import { displayPrefix, generateApiKey, hashApiKey, type Scope } from './keys.js'
import {
  expiredKeysWithEndpoints,
  findKey, findKeyByHash, insertKey, listKeys, liveKeysOfOrigin, lockAdminApiKeys, revokeKey, touchKey
} from './repository.js'
import type { ApiKey, CreateApiKeyInput, CreatedApiKey } from './schemas.js'
import type { ApiKeyRow } from './tables.js'
import { toPage } from '../../lib/page.js'
import { formatAddressRange, parseAddressRange } from '../../lib/ip.js'
import { disableEndpointsOfKey, KEY_EXPIRED_REASON, KEY_REVOKED_REASON } from '../events/endpoints.js'
import { creditorNames, resolveCreditorRefs } from '../creditors/service.js'

/** `names`: the creditors' current names by id (creditorNames). */
export function toApiKey (row: ApiKeyRow, names: Map<string, string>): ApiKey {
  return {
    id: toPublicId('apiKey', row.id),
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes as Scope[],
    creditors: row.creditors.map((id) => names.get(id) ?? ''),
    creditorIds: row.creditors.map((id) => toPublicId('creditor', id)),
    createdAt: row.created_at.toISOString(),
    revokedAt: row.revoked_at?.toISOString() ?? null,
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    expiresAt: row.expires_at?.toISOString() ?? null,
    allowedIps: row.allowed_ips
  }
}

/**
 * An allowlist in the canonical text of each entry (`10.0.0.0/8`, `203.0.113.7/32`), once each; the entries that are
 * no address or CIDR in `invalid` (the HTTP edge refuses them before: 400 `validation_failed`; the CLI says so).
 */
export function canonicalAllowedIps (entries: readonly string[]): { allowed: string[], invalid: string[] } {
  const allowed: string[] = []
  const invalid: string[] = []
  for (const entry of entries) {
    const range = parseAddressRange(entry)
    if (range === null) invalid.push(entry)
    else allowed.push(formatAddressRange(range))
  }
  return { allowed: [...new Set(allowed)], invalid }
}

/** A key's expiry: a moment in the future (422 `invalid_expiry` otherwise), or none. */
function expiryOf (input: CreateApiKeyInput, now: Date): Date | null {
  if (input.expiresAt === undefined) return null
  const at = new Date(input.expiresAt)
  if (Number.isNaN(at.getTime()) || at.getTime() <= now.getTime()) {
    throw new DomainError('invalid_expiry', 'A key expires in the future', {
      errors: [{ path: 'body.expiresAt', message: 'must be in the future' }]
    })
  }
  return at
}

/**
 * docs/architecture.md, partners, events and webhooks: a partner key sees its creditors' debts and payments
 * only, so it cannot exist without them; creditors on any other key would
 * suggest a restriction that does not apply, so they are refused too.
 */
function partnerCreditorRefs (input: CreateApiKeyInput): string[] {
  const creditors = (input.creditors ?? []).map((c) => c.trim())
  if (input.scopes.includes('partner')) {
    // a partner key sees its creditors' business only: with operator or admin beside it, it would read everyone's
    if (input.scopes.some((scope) => scope !== 'partner')) {
      const detail = 'A partner key has the partner scope alone: make another key for operator or admin work'
      const errors = [{ path: 'body.scopes', message: 'partner cannot be combined with another scope' }]
      throw new DomainError('partner_scope_exclusive', detail, { errors })
    }
    if (creditors.length === 0 || creditors.some((c) => c === '')) {
      throw new DomainError('partner_creditors_required', 'A partner key must be bound to at least one creditor: `creditors`, the names as they appear in portfolios', { errors: [{ path: 'body.creditors', message: 'at least one creditor is required with the partner scope' }] })
    }
    return [...new Set(creditors)]
  }
  if (creditors.length > 0) {
    throw new DomainError('creditors_need_partner_scope', 'Only a partner key is bound to creditors', { errors: [{ path: 'body.creditors', message: 'allowed only with the partner scope' }] })
  }
  return []
}

/** Creates a key; the only moment its value exists outside the client. */
export async function createApiKey (
  db: Database, actor: Actor | null, input: CreateApiKeyInput
): Promise<CreatedApiKey> {
  const refs = partnerCreditorRefs(input)
  const expiresAt = expiryOf(input, new Date())
  const { allowed, invalid } = canonicalAllowedIps(input.allowedIps ?? [])
  // the edge's schema (format ip-or-cidr) and the CLI refuse these first
  if (invalid.length > 0) throw new Error(`not an address or CIDR: ${invalid.join(', ')}`)
  const key = generateApiKey()
  return await db.transaction().execute(async (trx) => {
    // names (any spelling that folds to a creditor's name or alias) or cred_ ids; one matching none is 422
    const creditors = await resolveCreditorRefs(trx, refs)
    const names = await creditorNames(trx, creditors)
    const row = await insertKey(trx, {
      id: uuidv7(),
      name: input.name,
      prefix: displayPrefix(key),
      key_hash: hashApiKey(key),
      scopes: input.scopes,
      creditors,
      expires_at: expiresAt,
      allowed_ips: allowed
    })
    await recordAudit(trx, actor ?? { keyId: null, requestId: 'cli', ip: 'local' }, {
      action: 'api_key.created', entityType: 'api_key', entityId: toPublicId('apiKey', row.id), details: {
        name: row.name,
        scopes: row.scopes,
        creditors: toApiKey(row, names).creditorIds,
        expiresAt: row.expires_at?.toISOString() ?? null,
        allowedIps: row.allowed_ips
      }
    })
    return { ...toApiKey(row, names), key }
  })
}

/** What a start with ADMIN_API_KEY did, for its log line. */
export type AdminKeyOutcome =
  /** a value not seen before: its key, and every earlier ADMIN_API_KEY key revoked */
  | { kind: 'created', id: string, revoked: string[] }
  /** the value's key was live already; any other ADMIN_API_KEY key still live (kept from before) is revoked */
  | { kind: 'current', id: string, revoked: string[] }
  /** the value's key was revoked: a revoked value is never re-enabled, and changes nothing */
  | { kind: 'revoked', id: string }
  /** the value is a key issued through the API or the CLI: never taken over, nor made the ADMIN_API_KEY key */
  | { kind: 'issued', id: string }

const STARTUP: Actor = { keyId: null, requestId: 'startup', ip: 'local' }

/**
 * ADMIN_API_KEY (DESIGN 16): the key it ensures is one record. A new value creates its admin key and revokes the
 * previous one, in one transaction and audit-logged; a restart with the same value changes nothing; keys issued
 * through the API are never touched. A stale process still holding an old value finds that value revoked and
 * leaves the new one alone, so a rolling restart converges on the newest value.
 */
export async function ensureAdminKey (db: Database, key: string): Promise<AdminKeyOutcome> {
  return await db.transaction().execute(async (trx) => {
    await lockAdminApiKeys(trx)
    const keyHash = hashApiKey(key)
    const existing = await findKeyByHash(trx, keyHash)
    if (existing !== undefined) {
      if (existing.origin !== 'admin_api_key') return { kind: 'issued', id: toPublicId('apiKey', existing.id) }
      if (existing.revoked_at !== null) return { kind: 'revoked', id: toPublicId('apiKey', existing.id) }
    }
    const current = existing ?? await insertKey(trx, {
      id: uuidv7(),
      name: 'ADMIN_API_KEY',
      prefix: displayPrefix(key),
      key_hash: keyHash,
      scopes: ['admin'],
      origin: 'admin_api_key'
    })
    const id = toPublicId('apiKey', current.id)
    if (existing === undefined) {
      await recordAudit(trx, STARTUP, {
        action: 'api_key.ensured', entityType: 'api_key', entityId: id, details: { name: 'ADMIN_API_KEY' }
      })
    }
    const revoked: string[] = []
    for (const previous of await liveKeysOfOrigin(trx, 'admin_api_key')) {
      if (previous.id === current.id) continue
      await revokeWithin(trx, STARTUP, previous.id, { reason: 'ADMIN_API_KEY changed', replacedBy: id })
      revoked.push(toPublicId('apiKey', previous.id))
    }
    return { kind: existing === undefined ? 'created' : 'current', id, revoked }
  })
}

/** Revokes a live key in the caller's transaction, audit-logged, with what it set up to receive (webhooks). */
async function revokeWithin (trx: Handle, actor: Actor, id: string, details?: AuditEntry['details']): Promise<void> {
  await revokeKey(trx, id)
  const entityId = toPublicId('apiKey', id)
  await recordAudit(trx, actor, { action: 'api_key.revoked', entityType: 'api_key', entityId, details })
  await disableEndpointsOfKey(trx, actor, id, KEY_REVOKED_REASON)
}

/**
 * The worker's sweep, every minute: the webhook endpoints of keys past their expiry stop receiving, as a revoked
 * key's do (a partner whose contract ended gets its creditors' events no longer). Returns how many were disabled.
 */
export async function disableEndpointsOfExpiredKeys (db: Database, now = new Date()): Promise<number> {
  let disabled = 0
  for (const keyId of await expiredKeysWithEndpoints(db, now)) {
    disabled += await db.transaction().execute(async (trx) =>
      await disableEndpointsOfKey(trx, SYSTEM_ACTOR, keyId, KEY_EXPIRED_REASON))
  }
  return disabled
}

export async function listApiKeys (
  db: Database, page: { limit: number, startingAfter?: string }
): Promise<{ data: ApiKey[], hasMore: boolean, nextCursor: string | null }> {
  const after = page.startingAfter === undefined ? null : fromPublicId('apiKey', page.startingAfter)
  const rows = await listKeys(db, { limit: page.limit, startingAfter: after })
  const names = await creditorNames(db, rows.flatMap((r) => r.creditors))
  return toPage(rows, page.limit, (shown) => shown.map((row) => toApiKey(row, names)))
}

export async function revokeApiKey (db: Database, actor: Actor, publicId: string): Promise<ApiKey> {
  const id = fromPublicId('apiKey', publicId)
  const notFound = new DomainError('api_key_not_found', 'No API key with this id')
  if (id === null) throw notFound
  return await db.transaction().execute(async (trx) => {
    const existing = await findKey(trx, id)
    if (existing === undefined) throw notFound
    if (existing.revoked_at === null) await revokeWithin(trx, actor, id)
    const row = await findKey(trx, id) as ApiKeyRow
    return toApiKey(row, await creditorNames(trx, row.creditors))
  })
}

/**
 * The live key a presented secret belongs to, or undefined (unknown, or revoked), with what the edge checks of the
 * request: its expiry and the addresses it may be used from.
 */
export async function findLiveKey (db: Database, secret: string): Promise<LiveKey | undefined> {
  const key = await findKeyByHash(db, hashApiKey(secret))
  if (key === undefined || key.revoked_at !== null) return undefined
  return {
    id: key.id,
    name: key.name,
    scopes: key.scopes,
    creditors: key.creditors,
    expiresAt: key.expires_at,
    allowedIps: key.allowed_ips
  }
}

/** Records that the key was used (best effort: the caller logs a failure). */
export async function recordKeyUse (db: Database, keyId: string): Promise<void> {
  await touchKey(db, keyId)
}

/** What the HTTP edge's authentication needs of the keys: app.ts gives it to http/auth.ts, which imports no module. */
export const keyLookup: KeyLookup = { findLive: findLiveKey, recordUse: recordKeyUse }
