import { readdirSync, readFileSync } from 'node:fs'
import { parse } from 'yaml'

/**
 * Two lanes over one suite. `npm test` is the fast lane: what .taprc includes minus what it excludes, with
 * coverage enforced. `npm run test:slow` is the slow lane: exactly the files .taprc excludes (the fault tests,
 * the 100k import, fuzzing, the browser tests and the hostile-client sweeps). .taprc is the one list; this reads it
 * for test/run.ts and test/lanes.test.ts.
 *
 * An exclude entry is a test file's path or `folder/**`: nothing a reader must run a glob in their head for.
 */
export function slowPatterns (): string[] {
  const taprc = parse(readFileSync('.taprc', 'utf8')) as { exclude?: unknown }
  const exclude = taprc.exclude ?? []
  if (!Array.isArray(exclude) || exclude.some((entry) => typeof entry !== 'string')) {
    throw new Error('.taprc: exclude must be a list of paths')
  }
  return exclude as string[]
}

/** Every test file of the suite, sorted. */
export function allTestFiles (): string[] {
  return readdirSync('test', { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.test.ts'))
    .map((path) => `test/${path.split('\\').join('/')}`)
    .sort()
}

/** The files one exclude entry stands for. */
export function filesOf (pattern: string, files = allTestFiles()): string[] {
  if (pattern.endsWith('/**')) return files.filter((file) => file.startsWith(pattern.slice(0, -2)))
  return files.filter((file) => file === pattern)
}

/** The slow lane's test files, sorted. */
export function slowLane (): string[] {
  const files = allTestFiles()
  return [...new Set(slowPatterns().flatMap((pattern) => filesOf(pattern, files)))].sort()
}
