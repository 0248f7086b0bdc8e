// Personal data at rest: AES-256-GCM with a key id in every ciphertext so
// keys can rotate (new writes use the current key, old rows still decrypt),
// and an HMAC-SHA256 blind index so equality lookups never need plaintext.
//
// Ciphertext format: `v1.<keyId>.<iv b64url>.<ciphertext b64url>.<tag b64url>`.
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto'

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

const IV_BYTES = 12
const IV_POOL_SIZE = IV_BYTES * 4096

/**
 * Fresh random IVs, drawn from the CSPRNG 4096 at a time: one call per
 * field costs as much as the encryption itself, and a portfolio encrypts
 * two fields a row. Each slice is handed out once.
 */
function ivSource (): () => Buffer {
  let pool = randomBytes(IV_POOL_SIZE)
  let offset = 0
  return () => {
    if (offset === IV_POOL_SIZE) { pool = randomBytes(IV_POOL_SIZE); offset = 0 }
    const iv = pool.subarray(offset, offset + IV_BYTES)
    offset += IV_BYTES
    return iv
  }
}

export function createPiiCipher (keys: PiiKeys): PiiCipher {
  assertValidKeys(keys)
  // key objects, imported once rather than at every call
  const currentKey: KeyObject = createSecretKey(keys.encryptionKeys.get(keys.currentKeyId) as Buffer)
  const indexKey: KeyObject = createSecretKey(keys.indexKey)
  const nextIv = ivSource()
  const prefix = `v1.${keys.currentKeyId}.`

  function encrypt (plaintext: string): string {
    const iv = nextIv()
    const cipher = createCipheriv('aes-256-gcm', currentKey, iv)
    const body = cipher.update(plaintext, 'utf8')
    cipher.final() // GCM is a stream mode: final() adds no bytes
    const tag = cipher.getAuthTag()
    return `${prefix}${iv.toString('base64url')}.${body.toString('base64url')}.${tag.toString('base64url')}`
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
    return createHmac('sha256', indexKey).update(normalisedValue, 'utf8').digest('hex')
  }

  return { encrypt, decrypt, blindIndex }
}

export function generateKey (): Buffer {
  return randomBytes(32)
}

/** Two texts compared in constant time (a secret against what was presented); false when their lengths differ. */
export function equalInConstantTime (a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8')
  const right = Buffer.from(b, 'utf8')
  return left.length === right.length && timingSafeEqual(left, right)
}
