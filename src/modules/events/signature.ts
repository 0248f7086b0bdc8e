// Standard Webhooks (standardwebhooks.com, docs/architecture.md, partners, events and webhooks): the secret is
// `whsec_` + base64 of 32 random bytes; the signature is
// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed with the decoded
// bytes, one per secret, space-separated while a rotation lets two sign.
import { createHmac, randomBytes } from 'node:crypto'

export const SECRET_PREFIX = 'whsec_'

export function generateSecret (): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`
}

export function sign (secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64')
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`, 'utf8').digest('base64')}`
}

export function signatureHeader (secrets: string[], id: string, timestamp: number, body: string): string {
  return secrets.map((secret) => sign(secret, id, timestamp, body)).join(' ')
}
