// The crypto of accepted rows, in order of arrival, handed back as COPY
// text. The first rows are done on the upload's own thread (a small file
// never waits for threads to start); past INLINE_ROWS, batches go to worker
// threads (one per core but the upload's own, at least one, at most four), so parsing and
// crypto run side by side. At most two batches per thread are in flight:
// memory stays flat, and COPY's backpressure reaches the upload.
import { availableParallelism } from 'node:os'
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { PiiCipher, PiiKeys } from '../../lib/crypto.js'
import { acceptedLine, type AcceptedRow } from './import-staging.js'

const INLINE_ROWS = 20_000
// Rows per message to a thread. Small: a batch waits on the upload's thread while it fills and while it is in
// flight, and what outlives a young-generation collection is promoted to the old heap, which then grows until a
// full collection (400,000 rows: peak RSS +148 MB with batches of 1,000, +47 MB with 100, at the same speed).
const BATCH = 100
// one core stays with the upload's own thread (CSV, row rules, COPY). On two cores one crypto thread is a little
// slower than two (200,000 rows: 7 to 10 s against 7 to 8 s), and each thread holds about 45 MB (its own V8 and,
// from source, the TypeScript loader): the import's memory stays within 100 MB of idle with one
const THREADS = Math.max(1, Math.min(4, availableParallelism() - 1))
const WORKER_URL = new URL(`./import-crypto-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url)

/**
 * Run from source (tsx, the tests), a thread does not inherit the parent's
 * TypeScript loader: it registers tsx itself before loading the worker.
 */
// a thread holds two batches at a time: a small heap keeps the upload's memory flat
const RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 64 }

function startWorker (workerData: unknown): Worker {
  if (!WORKER_URL.pathname.endsWith('.ts')) return new Worker(WORKER_URL, { workerData, resourceLimits: RESOURCE_LIMITS })
  const tsx = import.meta.resolve('tsx/esm/api')
  const boot = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(WORKER_URL.href)}) })`
  return new Worker(boot, { eval: true, workerData, resourceLimits: RESOURCE_LIMITS })
}

interface Pending { resolve: (text: string) => void, reject: (error: Error) => void }

class CryptoThread {
  private readonly worker: Worker
  private readonly pending = new Map<number, Pending>()
  private next = 0
  private failure: Error | null = null

  constructor (keys: PiiKeys, importId: string) {
    this.worker = startWorker({ keys, importId })
    this.worker.on('message', (message: { id: number, text: string }) => {
      this.pending.get(message.id)?.resolve(message.text)
      this.pending.delete(message.id)
    })
    const fail = (error: Error): void => {
      this.failure ??= error
      for (const p of this.pending.values()) p.reject(error)
      this.pending.clear()
    }
    this.worker.on('error', fail)
    this.worker.on('exit', (code) => { if (code !== 0) fail(new Error(`an import crypto thread exited with ${code}`)) })
  }

  async lines (rows: AcceptedRow[]): Promise<string> {
    if (this.failure !== null) throw this.failure
    const id = this.next++
    return await new Promise<string>((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.worker.postMessage({ id, rows })
    })
  }

  async stop (): Promise<void> { await this.worker.terminate() }
}

export class RowCrypto {
  private inline = 0
  private threads: CryptoThread[] | null = null
  private turn = 0
  private batch: AcceptedRow[] = []
  private readonly inFlight: Array<Promise<string>> = []

  constructor (private readonly pii: PiiCipher, private readonly keys: PiiKeys, private readonly importId: string) {}

  /** Takes a row; returns COPY text ready to send (maybe empty), waiting when enough is in flight. */
  async take (row: AcceptedRow): Promise<string> {
    if (this.inline < INLINE_ROWS) {
      this.inline++
      return acceptedLine(this.pii, this.importId, row)
    }
    this.batch.push(row)
    if (this.batch.length < BATCH) return ''
    return await this.dispatch()
  }

  /** Whatever is still batched or in flight. */
  async drain (): Promise<string> {
    let text = this.batch.length > 0 ? await this.dispatch() : ''
    while (this.inFlight.length > 0) text += await (this.inFlight.shift() as Promise<string>)
    return text
  }

  async stop (): Promise<void> {
    await Promise.all((this.threads ?? []).map(async (t) => { await t.stop() }))
    // a batch given up on (the upload failed) must not surface as unhandled
    for (const p of this.inFlight.splice(0)) p.catch(() => {})
  }

  private async dispatch (): Promise<string> {
    this.threads ??= Array.from({ length: THREADS }, () => new CryptoThread(this.keys, this.importId))
    const thread = this.threads[this.turn++ % this.threads.length] as CryptoThread
    this.inFlight.push(thread.lines(this.batch))
    this.batch = []
    if (this.inFlight.length < this.threads.length * 2) return ''
    return await (this.inFlight.shift() as Promise<string>)
  }
}
