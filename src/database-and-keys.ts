import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Config } from './config.js'
import { ConfigError } from './config.js'
import { generateKey, type PiiKeys } from './lib/crypto.js'
import { fallbackBaseDir, reachableByOtherUsers, startEmbeddedPostgres, type EmbeddedPostgresHandle } from './db/embedded.js'

/**
 * Process-level decisions made once at start (server and CLIs): which
 * database to use and which PII keys. Kept out of buildApp so tests can
 * hand the app a database and keys of their own.
 */
export interface Log {
  info: (msg: string) => void
  warn: (msg: string) => void
}

export interface ResolvedDatabase {
  /** The service's connection: a role that owns nothing (DESIGN 16), unless DATABASE_URL says otherwise. */
  url: string
  /** The owner's connection, for the migrations alone. */
  migrationUrl: string
  embedded: EmbeddedPostgresHandle | null
}

export async function resolveDatabase (config: Config, log: Log): Promise<ResolvedDatabase> {
  if (config.databaseUrl !== null) {
    return { url: config.databaseUrl, migrationUrl: config.migrationDatabaseUrl ?? config.databaseUrl, embedded: null }
  }
  let baseDir = resolve(config.dataDir)
  if (!reachableByOtherUsers(baseDir)) {
    const fallback = fallbackBaseDir(baseDir)
    log.warn(`DATA_DIR ${baseDir} is not reachable by the postgres user that embedded Postgres runs as (a parent directory lacks o+x); keeping the database in ${fallback} instead`)
    baseDir = fallback
  }
  log.info(`DATABASE_URL is not set: starting embedded Postgres in ${join(baseDir, 'postgres')}`)
  const embedded = await startEmbeddedPostgres({ baseDir })
  await ensureDatabaseExists(embedded.url('postgres'), 'debt_payments')
  // the superuser migrates; the service connects as a login that owns nothing
  return { url: embedded.serviceUrl('debt_payments'), migrationUrl: embedded.url('debt_payments'), embedded }
}

async function ensureDatabaseExists (adminUrl: string, name: string): Promise<void> {
  const pg = (await import('pg')).default
  const client = new pg.Client({ connectionString: adminUrl })
  // a dropped connection fails the pending query; unhandled, the event would end the process
  client.on('error', () => {})
  await client.connect()
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name])
    if (found.rowCount === 0) await client.query(`create database "${name}"`)
  } finally {
    await client.end()
  }
}

function decodeKey (name: string, base64: string): Buffer {
  const key = Buffer.from(base64, 'base64')
  if (key.length !== 32) throw new ConfigError(name, 'must be 32 bytes, base64-encoded')
  return key
}

/**
 * PII keys come from the environment. Only in embedded mode (a developer's
 * machine) are they generated once into DATA_DIR/keys.json, with a warning.
 */
export function resolvePiiKeys (config: Config, log: Log): PiiKeys {
  const encryptionKeys = new Map<string, Buffer>()
  for (const { id, key } of config.pii.previousKeys) encryptionKeys.set(id, decodeKey('PII_PREVIOUS_KEYS', key))
  if (config.pii.encryptionKey !== null && config.pii.indexKey !== null) {
    encryptionKeys.set(config.pii.encryptionKeyId, decodeKey('PII_ENCRYPTION_KEY', config.pii.encryptionKey))
    return { currentKeyId: config.pii.encryptionKeyId, encryptionKeys, indexKey: decodeKey('PII_INDEX_KEY', config.pii.indexKey) }
  }
  if (config.databaseUrl !== null) throw new ConfigError('PII_ENCRYPTION_KEY', 'is required when DATABASE_URL is set')
  const dataDir = resolve(config.dataDir)
  const file = join(dataDir, 'keys.json')
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true })
    writeFileSync(file, JSON.stringify({ encryptionKeyId: 'dev1', encryptionKey: generateKey().toString('base64'), indexKey: generateKey().toString('base64') }, null, 2), { mode: 0o600 })
    log.warn(`PII keys generated into ${file}: fine for a developer machine, never for production (set PII_ENCRYPTION_KEY and PII_INDEX_KEY)`)
  }
  const stored = JSON.parse(readFileSync(file, 'utf8')) as { encryptionKeyId: string, encryptionKey: string, indexKey: string }
  const currentKeyId = config.pii.encryptionKey !== null ? config.pii.encryptionKeyId : stored.encryptionKeyId
  encryptionKeys.set(stored.encryptionKeyId, decodeKey('keys.json encryptionKey', stored.encryptionKey))
  if (config.pii.encryptionKey !== null) encryptionKeys.set(config.pii.encryptionKeyId, decodeKey('PII_ENCRYPTION_KEY', config.pii.encryptionKey))
  const indexKey = config.pii.indexKey !== null ? decodeKey('PII_INDEX_KEY', config.pii.indexKey) : decodeKey('keys.json indexKey', stored.indexKey)
  return { currentKeyId, encryptionKeys, indexKey }
}
