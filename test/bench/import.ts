import { createReadStream, createWriteStream, statSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { once } from 'node:events'
import { pipeline } from 'node:stream/promises'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { HEADER, makeRow, toCsvLine } from '../helpers/portfolio.js'

/**
 * The portfolio import against its ceiling: the same file uploaded over
 * HTTP and processed by the worker until the report says `completed`,
 * then the same file sent with COPY (what psql's \copy does) into a
 * plain table of six text columns.
 */
export async function writePortfolio (path: string, rows: number, offset: number): Promise<number> {
  const out = createWriteStream(path)
  out.write(HEADER + '\n')
  for (let i = 0; i < rows; i += 5000) {
    const lines: string[] = []
    for (let j = i; j < Math.min(rows, i + 5000); j++) lines.push(toCsvLine(makeRow(offset + j)))
    if (!out.write(lines.join('\n') + '\n')) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
  return statSync(path).size
}

export interface ImportRun { seconds: number, rowsPerSecond: number, peakRssMb: number, idleRssMb: number }

/** Resident memory of this process (the service runs in it), sampled while `work` runs. */
async function withPeakRss<T> (work: () => Promise<T>): Promise<{ result: T, peak: number, idle: number }> {
  global.gc?.()
  const idle = process.memoryUsage.rss()
  let peak = idle
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()) }, 50)
  try {
    const result = await work()
    return { result, peak: Math.max(peak, process.memoryUsage.rss()), idle }
  } finally {
    clearInterval(timer)
  }
}

const MB = 1024 * 1024

/** The file as a request body read on demand (Readable.toWeb reads ahead without bound on Node 20). */
function fileBody (path: string): ReadableStream<Uint8Array> {
  let handle: Awaited<ReturnType<typeof open>> | null = null
  return new ReadableStream<Uint8Array>({
    async pull (controller) {
      handle ??= await open(path)
      const chunk = Buffer.alloc(64 * 1024)
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null)
      if (bytesRead === 0) {
        await handle.close()
        controller.close()
      } else {
        controller.enqueue(chunk.subarray(0, bytesRead))
      }
    }
  }, { highWaterMark: 1 })
}

export async function importThroughService (base: string, authorization: string, path: string, rows: number): Promise<ImportRun & { report: Record<string, unknown> }> {
  const { result, peak, idle } = await withPeakRss(async () => {
    const started = performance.now()
    const upload = await fetch(`${base}/v1/admin/debt-imports`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'text/csv' },
      body: fileBody(path),
      duplex: 'half'
    } as RequestInit)
    if (upload.status !== 202) throw new Error(`upload refused: ${await upload.text()}`)
    const { id } = await upload.json() as { id: string }
    while (true) {
      const report = await (await fetch(`${base}/v1/admin/debt-imports/${id}`, { headers: { authorization } })).json() as Record<string, unknown>
      if (report.status === 'completed') return { seconds: (performance.now() - started) / 1000, report }
      if (report.status === 'failed') throw new Error(`import failed: ${String(report.failureReason)}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  })
  return { ...result, rowsPerSecond: Math.round(rows / result.seconds), peakRssMb: peak / MB, idleRssMb: idle / MB }
}

export async function importThroughCopy (databaseUrl: string, path: string, rows: number): Promise<ImportRun> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    await client.query('drop table if exists bench_copy')
    await client.query('create table bench_copy (contract_number text, debtor_iin text, debtor_name text, creditor text, outstanding text, currency text)')
    const { result, peak, idle } = await withPeakRss(async () => {
      const started = performance.now()
      await pipeline(createReadStream(path), client.query(copyFrom('copy bench_copy from stdin with (format csv, header true)')))
      return (performance.now() - started) / 1000
    })
    await client.query('drop table bench_copy')
    return { seconds: result, rowsPerSecond: Math.round(rows / result), peakRssMb: peak / MB, idleRssMb: idle / MB }
  } finally {
    await client.end()
  }
}
