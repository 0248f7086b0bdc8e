import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * Load through autocannon in a child process, so the load generator never
 * shares an event loop with the server it measures. Each request's body is
 * picked at random from `bodies`.
 */
export interface LoadResult {
  requestsPerSecond: number
  p50: number
  p99: number
  non2xx: number
  errors: number
  total: number
}

export async function runLoad (
  input: { url: string, bodies: unknown[], connections: number, seconds: number, file: string }
): Promise<LoadResult> {
  writeFileSync(input.file, JSON.stringify(input))
  const child = spawn(process.execPath, [fileURLToPath(new URL('./autocannon-child.mjs', import.meta.url)), input.file], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  if (code !== 0) throw new Error(`autocannon exited with ${code}`)
  return JSON.parse(out) as LoadResult
}

/**
 * Several targets under the same load in turns, `rounds` times each, after one warm-up run of each: a slow spell of
 * the machine weighs on every target alike. Requests per second are the mean of the rounds, p50 and p99 the median.
 */
export async function runLoadInTurns (
  targets: string[],
  input: { bodies: unknown[], connections: number, seconds: number, file: string, rounds: number }
): Promise<LoadResult[]> {
  const runs: LoadResult[][] = targets.map(() => [])
  for (const url of targets) await runLoad({ ...input, url, seconds: Math.min(3, input.seconds) })
  for (let round = 0; round < input.rounds; round++) {
    for (const [i, url] of targets.entries()) {
      const result = await runLoad({ ...input, url, seconds: input.seconds / input.rounds })
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`load on ${url} had ${result.non2xx} non-2xx answers and ${result.errors} errors`)
      runs[i]?.push(result)
    }
  }
  const median = (values: number[]): number =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number
  return runs.map((results) => ({
    requestsPerSecond: results.reduce((sum, r) => sum + r.requestsPerSecond, 0) / results.length,
    p50: median(results.map((r) => r.p50)),
    p99: median(results.map((r) => r.p99)),
    non2xx: 0,
    errors: 0,
    total: results.reduce((sum, r) => sum + r.total, 0)
  }))
}
