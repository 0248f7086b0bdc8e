import type { Readable, Writable } from 'node:stream'
import type pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { databaseOnClient } from '../../db/database.js'
import type { PiiCipher, PiiKeys } from '../../lib/crypto.js'
import { CsvHeaderTooLong, CsvReader, CsvSyntaxError, type CsvRecord } from '../../lib/csv.js'
import { GunzipLimitError, boundedGunzip } from '../../lib/gunzip.js'
import { toPublicId, uuidv7 } from '../../lib/ids.js'
import { DomainError } from '../../lib/errors.js'
import { enqueueJob } from '../../db/jobs.js'
import { recordAudit, type Actor } from '../audit/service.js'
import { mapHeader, type HeaderError, type HeaderMap } from './import-rows.js'
import { STAGING_COLUMNS, checkRow } from './import-staging.js'
import { RowCrypto } from './import-crypto.js'
import { insertImport, setImportTotals } from './repository.js'

export const DEBT_IMPORT_TASK = 'debt-import'
/** Attempts of one import job (graphile-worker backoff between them) before the import is failed. */
export const IMPORT_MAX_ATTEMPTS = 5
/** COPY data is sent in pieces of about this many characters. */
const COPY_CHUNK = 256 * 1024

export type ContentEncoding = 'identity' | 'gzip'

interface UploadDeps { pool: pg.Pool, pii: PiiCipher, piiKeys: PiiKeys }

class GzipError extends Error {}

/** Bytes decoded to text at a time: one large chunk (inject's, a proxy's) is never one large string. */
const DECODE_PIECE = 64 * 1024

/** The file's bytes: gunzipped on the way when the upload says so, within the ratio and the size limit. */
function fileBytes (body: Readable, encoding: ContentEncoding, maxBytes: number): Readable {
  // a broken or truncated stream fails the iteration below, as invalid_csv
  return encoding === 'identity' ? body : boundedGunzip(body, { maxBytes })
}

/**
 * Streams an uploaded CSV (gzip or not) through the CSV reader and the row
 * rules into `COPY debt_import_rows FROM STDIN`, with the per-row crypto
 * done in the stream, then queues the import. The upload waits for the
 * database (COPY's backpressure), so memory stays flat whatever the file's
 * size. Everything is one transaction: a file over the limit (counted after
 * decompression), with an unusable header or broken quoting leaves nothing
 * behind.
 */
export async function stageImport (deps: UploadDeps, actor: Actor, input: { body: Readable, maxBytes: number, fileName: string | null, encoding?: ContentEncoding }): Promise<{ id: string, status: 'queued', rowsTotal: number }> {
  const id = uuidv7()
  const publicId = toPublicId('debtImport', id)
  const client = await deps.pool.connect()
  const crypto = new RowCrypto(deps.pii, deps.piiKeys, id)
  let copy: ReturnType<typeof copyFrom> | null = null
  let copyDone: Promise<void> | null = null
  try {
    await client.query('begin')
    const trx = databaseOnClient(client)
    await insertImport(trx, { id, file_name: input.fileName, file_bytes: 0n, created_by_key_id: actor.keyId })
    const stream = client.query(copyFrom(`copy debt_import_rows (${STAGING_COLUMNS.join(', ')}) from stdin`))
    copy = stream
    copyDone = new Promise<void>((resolve, reject) => { stream.on('finish', resolve); stream.on('error', reject) })
    copyDone.catch(() => {}) // awaited below; an abort must not surface as unhandled
    const { rows, bytes } = await streamRows(crypto, id, input, stream)
    stream.end()
    await copyDone
    await setImportTotals(trx, id, rows, BigInt(bytes))
    await enqueueJob(trx, DEBT_IMPORT_TASK, { importId: id }, { maxAttempts: IMPORT_MAX_ATTEMPTS })
    await recordAudit(trx, actor, { action: 'debt_import.created', entityType: 'debt_import', entityId: publicId, details: { rowsTotal: rows, bytes, fileName: input.fileName } })
    await client.query('commit')
    client.release()
    await crypto.stop()
    return { id: publicId, status: 'queued' as const, rowsTotal: rows }
  } catch (error) {
    if (copy !== null && !copy.writableFinished) copy.destroy() // CopyFail: the backend drops what it received
    await copyDone?.catch(() => {})
    const rolledBack = await client.query('rollback').then(() => true, () => false)
    client.release(rolledBack ? undefined : true)
    await crypto.stop()
    if (error instanceof CsvHeaderTooLong) {
      throw new DomainError('invalid_csv_header', `The header row is not usable: ${error.message}`)
    }
    if (error instanceof CsvSyntaxError) throw new DomainError('invalid_csv', `The file is not valid CSV: ${error.message}`)
    if (error instanceof GzipError) throw new DomainError('invalid_csv', 'The file is not valid gzip (Content-Encoding: gzip)')
    throw error
  }
}

/** Writes with COPY's backpressure; a COPY the database stopped fails the write instead of waiting for ever. */
async function send (copy: Writable, chunk: string): Promise<void> {
  if (copy.destroyed) throw copy.errored ?? new Error('the COPY stopped')
  if (copy.write(chunk)) return
  await new Promise<void>((resolve, reject) => {
    const settle = (error?: Error | null): void => {
      copy.off('drain', onDrain)
      copy.off('close', onClose)
      copy.off('error', settle)
      if (error === undefined || error === null) resolve()
      else reject(error)
    }
    const onDrain = (): void => { settle() }
    const onClose = (): void => { settle(copy.errored ?? new Error('the COPY stopped')) }
    copy.on('drain', onDrain)
    copy.on('close', onClose)
    copy.on('error', settle)
  })
}

async function streamRows (
  crypto: RowCrypto,
  importId: string,
  input: { body: Readable, maxBytes: number, encoding?: ContentEncoding },
  copy: Writable
): Promise<{ rows: number, bytes: number }> {
  const tooLarge = new DomainError('payload_too_large', `The file is larger than the limit of ${input.maxBytes} bytes`)
  const encoding = input.encoding ?? 'identity'
  const decoder = new TextDecoder('utf-8') // strips a leading BOM
  let bytes = 0
  const reader = new CsvReader() // the delimiter read from the header line, within the header's limit
  let header: HeaderMap | null = null
  let rows = 0
  let out = ''

  const flush = async (): Promise<void> => {
    const chunk = out
    out = ''
    await send(copy, chunk)
  }
  const take = async (records: CsvRecord[]): Promise<void> => {
    for (const record of records) {
      if (header === null) {
        try {
          header = mapHeader(record.fields)
        } catch (error) {
          throw new DomainError('invalid_csv_header', `The header row is not usable: ${(error as HeaderError).message}. Expected: contract_number,debtor_iin,debtor_name,creditor,outstanding[,currency]`)
        }
        continue
      }
      const checked = checkRow(importId, record, header)
      out += 'rejected' in checked ? checked.rejected : await crypto.take(checked.accepted)
      rows++
    }
    if (out.length >= COPY_CHUNK) await flush()
  }

  const source = fileBytes(input.body, encoding, input.maxBytes)
  try {
    for await (const chunk of source) {
      bytes += (chunk as Buffer).length
      if (bytes > input.maxBytes) throw tooLarge
      for (let at = 0; at < (chunk as Buffer).length; at += DECODE_PIECE) {
        await take(reader.push(decoder.decode((chunk as Buffer).subarray(at, at + DECODE_PIECE), { stream: true })))
      }
    }
  } catch (error) {
    if (error instanceof GunzipLimitError) {
      // past 100x (a CSV deflates 5-10x, deflate itself up to 1,032x) it is a bomb: refused like a file over the limit
      if (error.limit === 'size') throw tooLarge
      throw new DomainError('payload_too_large', `The gzip body ${error.message}`)
    }
    if (encoding === 'gzip' && (error as { code?: string }).code?.startsWith('Z_') === true) throw new GzipError()
    throw error
  }
  await take(reader.push(decoder.decode()))
  await take(reader.end())
  if (header === null) throw new DomainError('invalid_csv_header', 'The file is empty: a header row is required')
  out += await crypto.drain()
  if (out.length > 0) await flush()
  return { rows, bytes }
}
