import { Type, type Static } from '@sinclair/typebox'
import { publicIdPattern } from '../../lib/ids.js'
import { SCOPES } from './keys.js'
import { StringEnum, Timestamp, NullableTimestamp } from '../../http/schemas.js'

export const ScopeSchema = StringEnum(SCOPES, { description: 'admin: everything; operator: back office; partner: own payments and webhooks' })

export const ApiKeySchema = Type.Object({
  id: Type.String({ pattern: publicIdPattern('apiKey') }),
  name: Type.String(),
  prefix: Type.String({ description: 'First characters of the key, to recognise it' }),
  scopes: Type.Array(ScopeSchema),
  creditors: Type.Array(Type.String(), { description: 'A partner key\'s creditors, their current names (beside `creditorIds`, in the same order): it sees only their debts, payments, events and reports. Empty for other keys.' }),
  creditorIds: Type.Array(Type.String({ pattern: publicIdPattern('creditor') }), { description: 'The same creditors\' ids: what the key is bound to (a rename changes nothing)' }),
  createdAt: Timestamp,
  revokedAt: NullableTimestamp,
  lastUsedAt: NullableTimestamp,
  expiresAt: Type.Union([Timestamp, Type.Null()], {
    description: 'Past this moment the key is answered 401 `unauthenticated`, as an unknown key; null: no expiry'
  }),
  allowedIps: Type.Array(Type.String(), {
    description: 'The addresses and CIDRs (canonical: `10.0.0.0/8`, `203.0.113.7/32`) the key may be used from; ' +
      'from any other the answer is 401 `unauthenticated`. Empty: any address.'
  })
}, {
  $id: 'ApiKey',
  additionalProperties: false,
  examples: [{ id: 'key_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', name: 'Operator Aigerim', prefix: 'kap_Xy12ab', scopes: ['operator'], creditors: [], creditorIds: [], createdAt: '2026-11-25T10:00:00.000Z', revokedAt: null, lastUsedAt: null, expiresAt: null, allowedIps: [] }]
})
export type ApiKey = Static<typeof ApiKeySchema>

export const CreatedApiKeySchema = Type.Object({
  ...ApiKeySchema.properties,
  key: Type.String({ description: 'The key itself. Shown only in this response: store it now.' })
}, { $id: 'CreatedApiKey', additionalProperties: false })
export type CreatedApiKey = Static<typeof CreatedApiKeySchema>

export const CreateApiKeyBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  scopes: Type.Array(ScopeSchema, { minItems: 1, maxItems: 3, uniqueItems: true }),
  creditors: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
    maxItems: 100,
    uniqueItems: true,
    description: 'Required with the partner scope (422 `partner_creditors_required` without it), refused without it (422 `creditors_need_partner_scope`): creditor ids (`cred_…`) or names, a name matching a creditor\'s name or alias with NFKC, case, quote marks and spaces folded; one matching no creditor is 422 `creditor_not_found`. The key stores the ids.'
  })),
  expiresAt: Type.Optional(Type.String({
    format: 'date-time',
    description: 'When the key stops working (ISO 8601 with a zone); in the past, 422 `invalid_expiry`. ' +
      'Without it the key works until revoked.'
  })),
  allowedIps: Type.Optional(Type.Array(Type.String({ format: 'ip-or-cidr', maxLength: 64 }), {
    maxItems: 100,
    uniqueItems: true,
    description: 'Addresses (`203.0.113.7`, `2001:db8::1`) and CIDRs (`10.0.0.0/8`, `2001:db8::/32`) the key may be ' +
      'used from, as the service sees the client (behind TRUST_PROXY, the forwarded address); anything else is 400 ' +
      '`validation_failed`. An IPv4-mapped IPv6 client is judged by its IPv4 address. Without it, any address.'
  }))
}, { additionalProperties: false, examples: [{ name: 'Operator Aigerim', scopes: ['operator'] }, { name: 'Bank CenterCredit integration', scopes: ['partner'], creditors: ['АО «Банк ЦентрКредит»'] }, { name: 'Reconciliation robot', scopes: ['operator'], expiresAt: '2027-06-30T00:00:00+05:00', allowedIps: ['10.20.0.0/16', '203.0.113.7'] }] })
export type CreateApiKeyInput = Static<typeof CreateApiKeyBody>

export const ApiKeyParams = Type.Object({
  id: Type.String({ pattern: publicIdPattern('apiKey') })
}, { additionalProperties: false })
