import { spawn } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { pino } from 'pino'
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../src/db/embedded.js'
import { migrateDatabase } from '../src/migrate-database.js'
import { slowLane } from './lanes.js'

/**
 * `npm test`: one real Postgres for the whole run (TEST_DATABASE_URL, or an
 * embedded one in a fresh temp directory), a migrated template database, and
 * tap over the fast lane (.taprc), coverage enforced. Each test file clones
 * the template. `npm run test:slow` (--slow): the same, over the files .taprc
 * excludes (test/lanes.ts), without coverage: its thresholds are the fast
 * lane's, and two files at a time, not .taprc's three: the fault tests run
 * several processes of the service each and wait on them under deadlines.
 * Files named on the command line run whichever lane they are in.
 */
const TEMPLATE = 'app_template'

const args = process.argv.slice(2)
const tapArgs = args.includes('--slow')
  ? [...slowLane(), '--disable-coverage', '--jobs=2', ...args.filter((arg) => arg !== '--slow')]
  : args

async function adminQuery (url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  client.on('error', () => {}) // the pending query fails with it
  await client.connect()
  try { await client.query(text) } finally { await client.end() }
}

function withDatabase (url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

let embedded: EmbeddedPostgresHandle | null = null
let tempDir: string | null = null
let adminUrl = process.env.TEST_DATABASE_URL
if (adminUrl === undefined || adminUrl === '') {
  tempDir = mkdtempSync(join(tmpdir(), 'debt-payments-test-'))
  chmodSync(tempDir, 0o755)
  embedded = await startEmbeddedPostgres({ baseDir: tempDir })
  adminUrl = embedded.url('postgres')
}

let exitCode = 1
try {
  await adminQuery(adminUrl, `drop database if exists ${TEMPLATE} with (force)`)
  await adminQuery(adminUrl, `create database ${TEMPLATE}`)
  await migrateDatabase(withDatabase(adminUrl, TEMPLATE), pino({ level: 'warn' }))
  await adminQuery(adminUrl, `alter database ${TEMPLATE} is_template true`)

  exitCode = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [join('node_modules', 'tap', 'dist', 'esm', 'run.mjs'), ...tapArgs], {
      stdio: 'inherit',
      env: { ...process.env, TEST_DATABASE_URL: adminUrl, TEST_TEMPLATE_DATABASE: TEMPLATE }
    })
    child.on('exit', (code, signal) => { resolve(code ?? (signal !== null ? 1 : 0)) })
  })
} finally {
  await embedded?.stop()
  if (tempDir !== null) rmSync(tempDir, { recursive: true, force: true })
}
process.exit(exitCode)
