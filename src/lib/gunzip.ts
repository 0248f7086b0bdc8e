import { Transform, pipeline, type Readable, type TransformCallback } from 'node:stream'
import { createGunzip } from 'node:zlib'

/**
 * Bytes out per compressed byte received, at most. A portfolio CSV deflates
 * 5-10x; deflate itself reaches about 1,032x, so a body of one repeated byte
 * (a "gzip bomb": 64 KB that inflates to 64 MiB) is what lies between.
 */
export const MAX_GZIP_RATIO = 100

/** The stream inflated past a limit; decompression was stopped there. */
export class GunzipLimitError extends Error {
  constructor (readonly limit: 'ratio' | 'size', message: string) {
    super(message)
  }
}

/**
 * A gzip body inflated as it arrives, bounded while it is (STYLE 23): the
 * output stops, and every stream of the pipeline is destroyed, the moment it
 * passes `maxRatio` times the compressed bytes received so far or `maxBytes`.
 * zlib itself waits for the reader, so no more than a stream buffer is
 * inflated ahead. A corrupt stream fails the iteration with zlib's `Z_*` error.
 */
export function boundedGunzip (compressed: Readable, limits: { maxBytes: number, maxRatio?: number }): Readable {
  const maxRatio = limits.maxRatio ?? MAX_GZIP_RATIO
  let received = 0
  let inflated = 0
  const counter = new Transform({
    transform (chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      received += chunk.length
      done(null, chunk)
    }
  })
  const guard = new Transform({
    transform (chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      inflated += chunk.length
      if (inflated > limits.maxBytes) {
        done(new GunzipLimitError('size', `inflates to more than ${limits.maxBytes} bytes`))
      } else if (inflated > maxRatio * received) {
        done(new GunzipLimitError('ratio', `inflates to more than ${maxRatio} times its compressed size`))
      } else {
        done(null, chunk)
      }
    }
  })
  // the error reaches the reader through `guard`, the last stream; one after the reader left must not be unhandled
  return pipeline(compressed, counter, createGunzip(), guard, () => {}).on('error', () => {})
}
