import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * Load through autocannon in a child process, so the load generator never
 * shares an event loop with the server it measures. Each request's body is
 * picked at random from `bodies`.
 */
export interface LoadResult { requestsPerSecond: number, p50: number, p99: number, non2xx: number, errors: number, total: number }

export async function runLoad (input: { url: string, bodies: unknown[], connections: number, seconds: number, file: string }): Promise<LoadResult> {
  writeFileSync(input.file, JSON.stringify(input))
  const child = spawn(process.execPath, [fileURLToPath(new URL('./autocannon-child.mjs', import.meta.url)), input.file], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  if (code !== 0) throw new Error(`autocannon exited with ${code}`)
  return JSON.parse(out) as LoadResult
}
