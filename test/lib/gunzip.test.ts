import t from 'tap'
import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import { GunzipLimitError, MAX_GZIP_RATIO, boundedGunzip } from '../../src/lib/gunzip.js'
import { makeCsv, makeRow } from '../helpers/portfolio.js'

const MiB = 1024 * 1024

/** A compressed body sent in pieces of 16 KiB, counting what the gunzip took of it. */
function source (compressed: Buffer) {
  let taken = 0
  function * pieces (): Generator<Buffer> {
    for (let at = 0; at < compressed.length; at += 16 * 1024) {
      const piece = compressed.subarray(at, at + 16 * 1024)
      taken += piece.length
      yield piece
    }
  }
  return { stream: Readable.from(pieces(), { objectMode: false }), taken: () => taken }
}

/** Reads the inflated stream to its end or its error; how many bytes it gave before. */
async function drain (inflated: Readable): Promise<{ bytes: number, error: unknown }> {
  let bytes = 0
  try {
    for await (const chunk of inflated) bytes += (chunk as Buffer).length
    return { bytes, error: null }
  } catch (error) {
    return { bytes, error }
  }
}

t.test('a real portfolio inflates whole, far under the ratio', async (t) => {
  const csv = Buffer.from(makeCsv(Array.from({ length: 20_000 }, (_, i) => makeRow(i))))
  const compressed = gzipSync(csv, { level: 9 })
  const ratio = csv.length / compressed.length
  t.ok(ratio < MAX_GZIP_RATIO / 5, `20,000 rows deflate ${ratio.toFixed(1)}x`)
  const { bytes, error } = await drain(boundedGunzip(source(compressed).stream, { maxBytes: 512 * MiB }))
  t.equal(error, null)
  t.equal(bytes, csv.length)
})

t.test('a body that inflates past 100x what was received is stopped there, and no more of it is read', async (t) => {
  // gzip members one after the other are one body: 512 MiB of commas in about 520 KB
  const member = gzipSync(Buffer.alloc(64 * MiB, ','), { level: 9 })
  const compressed = Buffer.concat(Array.from({ length: 8 }, () => member))
  const body = source(compressed)
  const { bytes, error } = await drain(boundedGunzip(body.stream, { maxBytes: 512 * MiB }))
  t.ok(error instanceof GunzipLimitError)
  t.match(error, { limit: 'ratio', message: 'inflates to more than 100 times its compressed size' })
  t.ok(bytes <= MAX_GZIP_RATIO * body.taken(), `${bytes} bytes given out of ${body.taken()} compressed bytes taken`)
  t.ok(body.taken() < compressed.length / 2, 'the rest of the body was not read')
  t.ok(body.stream.destroyed, 'the body stream is closed')
})

t.test('a body within the ratio still stops at the size limit; a broken stream is zlib\'s error', async (t) => {
  const csv = Buffer.from(makeCsv(Array.from({ length: 2_000 }, (_, i) => makeRow(i))))
  const limited = await drain(boundedGunzip(source(gzipSync(csv)).stream, { maxBytes: 100_000 }))
  t.match(limited.error, { limit: 'size', message: 'inflates to more than 100000 bytes' })
  t.ok(limited.bytes <= 100_000)
  const ratio = await drain(boundedGunzip(source(gzipSync(csv)).stream, { maxBytes: 512 * MiB, maxRatio: 2 }))
  t.match(ratio.error, { limit: 'ratio', message: /more than 2 times/ }, 'the ratio is a setting of the call')
  const whole = gzipSync(csv)
  const truncated = whole.subarray(0, whole.length - 12)
  const broken = await drain(boundedGunzip(source(truncated).stream, { maxBytes: 512 * MiB }))
  t.match(broken.error, { code: /^Z_/ })
})
