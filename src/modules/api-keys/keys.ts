// Key material: `kap_` + 32 random bytes (base64url). Shown once at
// creation; only the SHA-256 is stored. The prefix makes a leaked key easy
// to recognise in a repository or a log scanner.
import { createHash, randomBytes } from 'node:crypto'

export const KEY_PREFIX = 'kap_'
export { SCOPES, type Scope } from '../../lib/scopes.js'

export function generateApiKey (): string {
  return `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`
}

export function hashApiKey (key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex')
}

/** What may be shown of a key after creation: its first characters. */
export function displayPrefix (key: string): string {
  return key.slice(0, KEY_PREFIX.length + 6)
}
