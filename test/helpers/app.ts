import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { Kysely } from 'kysely'
import { createDatabase } from '../../src/db/database.js'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import type { AppConfig } from '../../src/config.js'
import { loadConfig } from '../../src/config.js'
import { generateKey } from '../../src/lib/crypto.js'
import { createApiKey } from '../../src/modules/api-keys/service.js'
import type { Scope } from '../../src/modules/api-keys/keys.js'
import { resolveImportCreditors } from '../../src/modules/creditors/service.js'
import { SERVICE_ROLE } from '../../src/db/service-role.js'

/**
 * Every test file gets its own database, cloned from the migrated template
 * that `npm test` (test/run.ts) prepares, and its own app built by the same
 * factory as production.
 */
interface Teardown { teardown: (fn: () => unknown) => void }

/** Clean-ups run last-in first-out: worker, then app, then its database. */
const stacks = new WeakMap<Teardown, Array<() => unknown>>()
function onTeardown (t: Teardown, fn: () => unknown): void {
  let stack = stacks.get(t)
  if (stack === undefined) {
    const fresh: Array<() => unknown> = []
    stack = fresh
    stacks.set(t, fresh)
    t.teardown(async () => { for (const cleanup of fresh.reverse()) await cleanup() })
  }
  stack.push(fn)
}

function serverUrl (): string {
  const url = process.env.TEST_DATABASE_URL
  if (url === undefined || url === '') throw new Error('TEST_DATABASE_URL is not set: run the tests with `npm test`')
  return url
}

function withDatabase (url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

async function admin (text: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl() })
  client.on('error', () => {}) // the pending query fails with it
  await client.connect()
  try { await client.query(text) } finally { await client.end() }
}

/** A fresh migrated database; dropped when the test ends. */
export async function createTestDatabase (t: Teardown): Promise<string> {
  const name = `test_${randomBytes(6).toString('hex')}`
  await admin(`create database ${name} template ${process.env.TEST_TEMPLATE_DATABASE ?? 'app_template'}`)
  onTeardown(t, async () => { await admin(`drop database if exists ${name} with (force)`) })
  return withDatabase(serverUrl(), name)
}

/**
 * An empty database, not migrated (migration tests run the migrations
 * themselves, from an old state), with a one-connection handle on it; both
 * go when the test ends.
 */
export async function createEmptyDatabase (t: Teardown): Promise<Kysely<any>> {
  const name = `test_mig_${randomBytes(6).toString('hex')}`
  await admin(`create database ${name}`)
  onTeardown(t, async () => { await admin(`drop database if exists ${name} with (force)`) })
  const handle = createDatabase(withDatabase(serverUrl(), name), { max: 1 })
  onTeardown(t, async () => { await handle.close() })
  return handle.db as unknown as Kysely<any>
}

export function testConfig (databaseUrl: string, env: Record<string, string> = {}): AppConfig {
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    PII_ENCRYPTION_KEY: generateKey().toString('base64'),
    PII_INDEX_KEY: generateKey().toString('base64'),
    LOG_LEVEL: 'silent',
    BANK_MODE: 'sandbox',
    MAIL_MODE: 'sandbox',
    // a deployment's /metrics is open only when asked: the tests scrape it, unless they give a token
    ...(env.METRICS_TOKEN === undefined ? { METRICS_PUBLIC: 'true' } : {}),
    ...env
  })
  return {
    ...config,
    databaseUrl,
    piiKeys: { currentKeyId: 'k1', encryptionKeys: new Map([['k1', generateKey()]]), indexKey: generateKey() }
  }
}

export interface TestApp {
  app: FastifyInstance
  config: AppConfig
  /** What the app connects with. */
  databaseUrl: string
  /** The same database as the owner of its tables (the superuser of the test run). */
  ownerUrl: string
}

export interface TestAppOptions {
  /**
   * Connect the app (and its worker) as a login in the service's group role, which owns nothing, as the embedded
   * database and docker-compose do (DESIGN 16), instead of as the owner.
   */
  serviceRole?: boolean
}

export async function createTestApp (
  t: Teardown, env: Record<string, string> = {}, options: TestAppOptions = {}
): Promise<TestApp> {
  // the login first: it is dropped after the database it connected to
  const login = options.serviceRole === true ? await createServiceLogin(t) : null
  const ownerUrl = await createTestDatabase(t)
  const databaseUrl = login === null ? ownerUrl : withLogin(ownerUrl, login.user, login.password)
  const config = testConfig(databaseUrl, env)
  const app = await buildApp(config, { logger: false })
  onTeardown(t, async () => { await app.close() })
  await app.ready()
  return { app, config, databaseUrl, ownerUrl }
}

/**
 * A login role of this test alone in the service's group role (roles belong to the whole cluster, which the test
 * files share); dropped when the test ends.
 */
export async function createServiceLogin (t: Teardown): Promise<{ user: string, password: string }> {
  const user = `test_service_${randomBytes(6).toString('hex')}`
  const password = randomBytes(18).toString('base64url')
  await admin(`create role ${user} login password '${password}' in role ${SERVICE_ROLE}`)
  onTeardown(t, async () => { await admin(`drop role if exists ${user}`) })
  return { user, password }
}

function withLogin (url: string, user: string, password: string): string {
  const parsed = new URL(url)
  parsed.username = user
  parsed.password = password
  return parsed.toString()
}

/** A real key in the database, as an operator would get it (a partner key bound to `creditors`). */
export async function createKey (app: FastifyInstance, scopes: Scope[], name = `test ${scopes.join('+')}`, creditors = ['Test creditor']): Promise<{ id: string, key: string, authorization: string }> {
  // the creditors exist as records (DESIGN 18: a key naming none is refused), as a portfolio naming them makes them
  if (scopes.includes('partner')) await resolveImportCreditors(app.db, creditors.filter((c) => !c.startsWith('cred_')))
  const created = await createApiKey(app.db, null, { name, scopes, ...(scopes.includes('partner') ? { creditors } : {}) })
  return { id: created.id, key: created.key, authorization: `Bearer ${created.key}` }
}

/** The worker role inside the test, so queued jobs really run. */
export async function startTestWorker (t: Teardown, app: FastifyInstance, config: AppConfig): Promise<void> {
  const { startBackground } = await import('../../src/worker-role.js')
  const background = await startBackground(app, { ...config, role: 'all' })
  onTeardown(t, async () => { await background.stop() })
}

/** Polls until the check passes (jobs run in the background), or fails after the timeout. */
export async function eventually<T> (
  check: () => Promise<T | undefined | null | false>, timeoutMs = 60_000
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  while (true) {
    const result = await check()
    if (result !== undefined && result !== null && result !== false) return result
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
