// A raw upload read whole into memory (a registry, a payout: files that fit), refused as soon as it passes its
// limit, whether it announced its length or came chunked. 413 `payload_too_large` either way.
import type { Readable } from 'node:stream'
import { DomainError } from '../lib/errors.js'

function tooLarge (what: string, maxBytes: number): DomainError {
  return new DomainError('payload_too_large', `The ${what} is larger than the limit of ${maxBytes} bytes`)
}

/** The whole body of a request whose parser handed it over as a stream. */
export async function readBoundedBody (
  headers: Record<string, string | string[] | undefined>, body: Readable, maxBytes: number, what: string
): Promise<Buffer> {
  if (Number(headers['content-length'] ?? 0) > maxBytes) throw tooLarge(what, maxBytes)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += (chunk as Buffer).length
    if (size > maxBytes) throw tooLarge(what, maxBytes)
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks, size)
}
