import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto'

/**
 * Personal data at rest: AES-256-GCM with a key id in every ciphertext so
 * keys can rotate (new writes use the current key, old rows still decrypt),
 * and an HMAC-SHA256 blind index so equality lookups never need plaintext.
 *
 * Ciphertext format: `v1.<keyId>.<iv b64url>.<ciphertext b64url>.<tag b64url>`.
 */
export interface PiiKeys {
  currentKeyId: string
  /** keyId -> 32-byte key; must contain currentKeyId. */
  encryptionKeys: ReadonlyMap<string, Buffer>
  /** 32-byte HMAC key of the blind index (not rotated: it would break lookups). */
  indexKey: Buffer
}

export class PiiDecryptionError extends Error {
  readonly code = 'pii_decryption_failed'
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/

export function assertValidKeys (keys: PiiKeys): void {
  if (!KEY_ID.test(keys.currentKeyId)) throw new RangeError('PII key id must match [A-Za-z0-9_-]{1,32}')
  if (!keys.encryptionKeys.has(keys.currentKeyId)) throw new RangeError(`no PII key with id ${keys.currentKeyId}`)
  for (const [id, key] of keys.encryptionKeys) {
    if (key.length !== 32) throw new RangeError(`PII key ${id} must be 32 bytes`)
  }
  if (keys.indexKey.length !== 32) throw new RangeError('PII index key must be 32 bytes')
}

export interface PiiCipher {
  encrypt: (plaintext: string) => string
  decrypt: (ciphertext: string) => string
  blindIndex: (normalisedValue: string) => string
}

export function createPiiCipher (keys: PiiKeys): PiiCipher {
  assertValidKeys(keys)
  const currentKey = keys.encryptionKeys.get(keys.currentKeyId) as Buffer

  function encrypt (plaintext: string): string {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', currentKey, iv)
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    const tag = cipher.getAuthTag()
    return ['v1', keys.currentKeyId, iv.toString('base64url'), body.toString('base64url'), tag.toString('base64url')].join('.')
  }

  function decrypt (ciphertext: string): string {
    const parts = ciphertext.split('.')
    if (parts.length !== 5 || parts[0] !== 'v1') throw new PiiDecryptionError('malformed ciphertext')
    const [, keyId, iv, body, tag] = parts as [string, string, string, string, string]
    const key = keys.encryptionKeys.get(keyId)
    if (key === undefined) throw new PiiDecryptionError(`unknown PII key id ${keyId}`)
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
      decipher.setAuthTag(Buffer.from(tag, 'base64url'))
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8')
    } catch {
      throw new PiiDecryptionError('ciphertext failed authentication')
    }
  }

  function blindIndex (normalisedValue: string): string {
    return createHmac('sha256', keys.indexKey).update(normalisedValue, 'utf8').digest('hex')
  }

  return { encrypt, decrypt, blindIndex }
}

export function generateKey (): Buffer {
  return randomBytes(32)
}
