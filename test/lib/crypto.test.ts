import t from 'tap'
import fc from 'fast-check'
import { createPiiCipher, generateKey, PiiDecryptionError, type PiiKeys } from '../../src/lib/crypto.js'

function keys (currentKeyId: string, encryptionKeys: Record<string, Buffer>, indexKey = generateKey()): PiiKeys {
  return { currentKeyId, encryptionKeys: new Map(Object.entries(encryptionKeys)), indexKey }
}

const k1 = generateKey()
const k2 = generateKey()
const cipher = createPiiCipher(keys('k1', { k1 }))

t.test('any text survives encryption unchanged, and the ciphertext does not show it', async (t) => {
  fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
    const sealed = cipher.encrypt(text)
    return cipher.decrypt(sealed) === text && (text.length < 4 || !sealed.includes(text))
  }))
  t.equal(cipher.decrypt(cipher.encrypt('Әлихан Қасымұлы Ёлкин')), 'Әлихан Қасымұлы Ёлкин')
  t.not(cipher.encrypt('same'), cipher.encrypt('same'), 'a fresh IV every time')
})

t.test('tampering with any character of a ciphertext is detected', async (t) => {
  fc.assert(fc.property(
    fc.string({ minLength: 1, maxLength: 50 }),
    fc.nat(),
    fc.integer({ min: 0, max: 7 }),
    (text, at, bit) => {
      const parts = cipher.encrypt(text).split('.')
      const part = 2 + (at % 3)
      const bytes = Buffer.from(parts[part] as string, 'base64url')
      const i = at % bytes.length
      bytes[i] = (bytes[i] as number) ^ (1 << bit)
      parts[part] = bytes.toString('base64url')
      try {
        cipher.decrypt(parts.join('.'))
        return false
      } catch (err) {
        return err instanceof PiiDecryptionError
      }
    }))
  t.throws(() => cipher.decrypt('not-a-ciphertext'), { code: 'pii_decryption_failed' })
  t.throws(() => cipher.decrypt('v1.k9.aaaa.bbbb.cccc'), /unknown PII key id k9/)
})

t.test('after rotation old rows still decrypt and new rows use the new key id', async (t) => {
  const before = cipher.encrypt('Иванов Иван')
  const rotated = createPiiCipher(keys('k2', { k1, k2 }))
  t.equal(rotated.decrypt(before), 'Иванов Иван')
  const after = rotated.encrypt('Иванов Иван')
  t.match(after, /^v1\.k2\./)
  t.throws(() => cipher.decrypt(after), { code: 'pii_decryption_failed' }, 'a service without the new key cannot read it')
  const wrongKey = createPiiCipher(keys('k1', { k1: k2 }))
  t.throws(() => wrongKey.decrypt(before), { code: 'pii_decryption_failed' }, 'a different key under the same id fails authentication')
})

t.test('the blind index is deterministic per index key and hides the value', async (t) => {
  const indexKey = generateKey()
  const a = createPiiCipher(keys('k1', { k1 }, indexKey))
  const b = createPiiCipher(keys('k2', { k2 }, indexKey))
  t.equal(a.blindIndex('871008401427'), b.blindIndex('871008401427'), 'rotation of encryption keys keeps lookups working')
  t.not(a.blindIndex('871008401427'), cipher.blindIndex('871008401427'), 'another index key gives another index')
  t.match(a.blindIndex('871008401427'), /^[0-9a-f]{64}$/)
})

t.test('bad key material is refused at construction', async (t) => {
  t.throws(() => createPiiCipher(keys('k1', { k1: Buffer.alloc(16) })), /32 bytes/)
  t.throws(() => createPiiCipher(keys('k3', { k1 })), /no PII key with id k3/)
  t.throws(() => createPiiCipher(keys('bad id', { 'bad id': k1 })), /key id/)
  t.throws(() => createPiiCipher(keys('k1', { k1 }, Buffer.alloc(8))), /index key/)
})
