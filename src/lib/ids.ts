// UUIDv7 in the database, prefixed strings on the wire (`pay_0190…`), so an
// id tells its kind in logs and support tickets and can never be confused
// with another entity's id.
import { randomBytes } from 'node:crypto'

export const ID_PREFIXES = {
  offer: 'off',
  acceptance: 'acc',
  debt: 'debt',
  payment: 'pay',
  refundRequest: 'rfr',
  refund: 'ref',
  privacyRequest: 'prv',
  debtImport: 'imp',
  webhookEndpoint: 'whe',
  webhookDelivery: 'whd',
  event: 'evt',
  apiKey: 'key',
  ledgerEntry: 'le',
  mail: 'msg',
  paymentLink: 'plk',
  channelRegistry: 'creg',
  creditor: 'cred',
  settlement: 'stl',
  remittance: 'rem'
} as const

export type IdKind = keyof typeof ID_PREFIXES

/** RFC 9562 UUIDv7: 48-bit Unix ms timestamp, version and variant bits, random rest. */
export function uuidv7 (now: number = Date.now()): string {
  const bytes = randomBytes(16)
  bytes.writeUIntBE(now, 0, 6)
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x70
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

export function toPublicId (kind: IdKind, uuid: string): string {
  return `${ID_PREFIXES[kind]}_${uuid.replaceAll('-', '')}`
}

/** The UUID behind a public id of the given kind, or null when it is not one. */
export function fromPublicId (kind: IdKind, publicId: string): string | null {
  const prefix = `${ID_PREFIXES[kind]}_`
  if (!publicId.startsWith(prefix)) return null
  const hex = publicId.slice(prefix.length)
  if (!/^[0-9a-f]{32}$/.test(hex)) return null
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** JSON-schema pattern of a public id of the given kind (for TypeBox). */
export function publicIdPattern (kind: IdKind): string {
  return `^${ID_PREFIXES[kind]}_[0-9a-f]{32}$`
}
