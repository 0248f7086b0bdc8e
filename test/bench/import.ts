import { pino } from 'pino'
import type { FastifyInstance } from 'fastify'
import { HEADER, makeRow, toCsvLine } from '../helpers/portfolio.js'

/**
 * Portfolio import speed over real HTTP: staging (the upload request) and
 * processing (the worker), first as new debts, then the same file again
 * (every row unchanged).
 */
export interface ImportBenchResult { rows: number, pass: string, uploadSeconds: number, processSeconds: number, rowsPerSecond: number }

function csvStream (rows: number, offset: number): ReadableStream<Uint8Array> {
  let seed = 0
  const encoder = new TextEncoder()
  return new ReadableStream<Uint8Array>({
    pull (controller) {
      if (seed === 0) controller.enqueue(encoder.encode(HEADER + '\n'))
      if (seed >= rows) { controller.close(); return }
      const lines: string[] = []
      for (let i = 0; i < 5000 && seed < rows; i++) lines.push(toCsvLine(makeRow(offset + seed++)))
      controller.enqueue(encoder.encode(lines.join('\n') + '\n'))
    }
  })
}

async function importOnce (base: string, authorization: string, rows: number, pass: string): Promise<ImportBenchResult> {
  const started = performance.now()
  const upload = await fetch(`${base}/v1/admin/debt-imports`, { method: 'POST', headers: { authorization, 'content-type': 'text/csv' }, body: csvStream(rows, 5_000_000), duplex: 'half' } as RequestInit)
  if (upload.status !== 202) throw new Error(`upload refused: ${await upload.text()}`)
  const uploaded = performance.now()
  const { id } = await upload.json() as { id: string }
  while (true) {
    const report = await (await fetch(`${base}/v1/admin/debt-imports/${id}`, { headers: { authorization } })).json() as { status: string }
    if (report.status === 'completed') break
    if (report.status === 'failed') throw new Error('import failed')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const done = performance.now()
  return { rows, pass, uploadSeconds: (uploaded - started) / 1000, processSeconds: (done - uploaded) / 1000, rowsPerSecond: Math.round(rows / ((done - started) / 1000)) }
}

export async function benchImport (app: FastifyInstance, authorization: string, rows: number): Promise<ImportBenchResult[]> {
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  const results = [await importOnce(base, authorization, rows, 'new debts'), await importOnce(base, authorization, rows, 're-import (unchanged)')]
  pino().info('import bench done')
  return results
}
