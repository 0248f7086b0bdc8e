import { createReadStream, createWriteStream, statSync } from 'node:fs'
import { once } from 'node:events'
import { pipeline } from 'node:stream/promises'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { HEADER, makeRow, toCsvLine } from '../helpers/portfolio.js'
import { cpuNow, cpuSince, type CpuSeconds } from './cpu.js'
import { post } from './http-post.js'

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

export interface ImportRun {
  seconds: number
  rowsPerSecond: number
  peakRssMb: number
  idleRssMb: number
  /**
   * CPU seconds of this process (service, worker, crypto thread, the upload's
   * client) and of the local Postgres while it ran.
   */
  cpu: CpuSeconds
}

/**
 * Resident memory of this process (the service runs in it), sampled while
 * `work` runs, and the CPU time it and Postgres spent meanwhile: on a
 * machine of N cores, no run of the same work takes less than CPU / N.
 */
async function measured<T> (
  work: (cpuAtStart: CpuSeconds) => Promise<T>
): Promise<{ result: T, peak: number, idle: number, cpu: CpuSeconds }> {
  global.gc?.()
  const idle = process.memoryUsage.rss()
  let peak = idle
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()) }, 50)
  const before = cpuNow()
  try {
    const result = await work(before)
    return { result, peak: Math.max(peak, process.memoryUsage.rss()), idle, cpu: cpuSince(before) }
  } finally {
    clearInterval(timer)
  }
}

const MB = 1024 * 1024

/**
 * The file POSTed by node:http straight from disk. fetch (undici) kept every
 * chunk of a streamed request body until the request object went, which
 * added the whole file to this process's memory: the RSS figure would have
 * measured the harness, not the service.
 */
async function uploadFile (
  url: string, authorization: string, path: string
): Promise<{ status: number, body: string }> {
  return await post(url, { headers: { authorization, 'content-type': 'text/csv' } }, async (request) => {
    await pipeline(createReadStream(path), request)
  })
}

export async function importThroughService (
  base: string, authorization: string, path: string, rows: number
): Promise<ImportRun & { uploadSeconds: number, uploadCpu: CpuSeconds, report: Record<string, unknown> }> {
  const { result, peak, idle, cpu } = await measured(async (cpuAtStart) => {
    const started = performance.now()
    const upload = await uploadFile(`${base}/v1/admin/debt-imports`, authorization, path)
    if (upload.status !== 202) throw new Error(`upload refused: ${upload.body}`)
    const uploadSeconds = (performance.now() - started) / 1000
    const uploadCpu = cpuSince(cpuAtStart)
    const { id } = JSON.parse(upload.body) as { id: string }
    while (true) {
      const report = await (await fetch(`${base}/v1/admin/debt-imports/${id}`, { headers: { authorization } })).json() as Record<string, unknown>
      if (report.status === 'completed') return { seconds: (performance.now() - started) / 1000, uploadSeconds, uploadCpu, report }
      if (report.status === 'failed') throw new Error(`import failed: ${String(report.failureReason)}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  })
  return {
    ...result,
    rowsPerSecond: Math.round(rows / result.seconds),
    peakRssMb: peak / MB,
    idleRssMb: idle / MB,
    cpu
  }
}

export async function importThroughCopy (databaseUrl: string, path: string, rows: number): Promise<ImportRun> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    await client.query('drop table if exists bench_copy')
    await client.query('create table bench_copy (contract_number text, debtor_iin text, debtor_name text, creditor text, outstanding text, currency text)')
    const { result, peak, idle, cpu } = await measured(async () => {
      const started = performance.now()
      await pipeline(createReadStream(path), client.query(copyFrom('copy bench_copy from stdin with (format csv, header true)')))
      return (performance.now() - started) / 1000
    })
    await client.query('drop table bench_copy')
    return {
      seconds: result,
      rowsPerSecond: Math.round(rows / result),
      peakRssMb: peak / MB,
      idleRssMb: idle / MB,
      cpu
    }
  } finally {
    await client.end()
  }
}
