// The configuration: the environment read and validated against EnvSchema (src/config-schema.ts, with every
// variable's meaning and default), then the decisions that depend on several variables and on the mode. A wrong or
// missing value stops the process at boot with one line naming it.
import { Value } from '@sinclair/typebox/value'
import type { PiiKeys } from './lib/crypto.js'
import { formatAddressRange, parseAddressRange } from './lib/ip.js'
import {
  AGENCY_DEFAULTS, DEFAULT_WEBHOOK_RETRY_SCHEDULE, ENV_DEFAULTS, EnvSchema, type AgencyRequisites, type Env
} from './config-schema.js'

export { AGENCY_DEFAULTS, DEFAULT_WEBHOOK_RETRY_SCHEDULE, ENV_DEFAULTS, EnvSchema }
export type { AgencyRequisites, Env }

export interface Config {
  /**
   * A deployment (DATABASE_URL set, or NODE_ENV=production), not a developer's machine: nothing that fakes the
   * world (sandbox bank or mailbox, private webhook URLs, an open /metrics) is a default here (STYLE 17).
   */
  deployed: boolean
  port: number
  host: string
  dataDir: string
  databaseUrl: string | null
  /** The owner's connection, for migrations only (DESIGN 16); the service's own (databaseUrl) owns nothing. */
  migrationDatabaseUrl: string | null
  databasePoolMax: number
  logLevel: NonNullable<Env['LOG_LEVEL']>
  /** null: pretty on a terminal, JSON otherwise (lib/log-format.ts). */
  logFormat: NonNullable<Env['LOG_FORMAT']> | null
  role: 'api' | 'worker' | 'all'
  migrateOnStart: boolean
  /** SIGTERM: how long in-flight requests and jobs get; running jobs are asked to stop at half of it. */
  shutdownTimeoutSeconds: number
  corsOrigins: string[]
  /** Whom to believe about the client's address (X-Forwarded-For): rate limits and risk rules key on it. */
  trustProxy: boolean | number | string
  publicBaseUrl: string
  pii: {
    encryptionKey: string | null
    encryptionKeyId: string
    previousKeys: Array<{ id: string, key: string }>
    indexKey: string | null
    /** The blind-index key before a rotation: read by `npm run pii:rotate -- --rebuild-indexes` only. */
    previousIndexKey: string | null
  }
  adminApiKey: string | null
  bank: {
    mode: 'sandbox' | 'live'
    baseUrl: string
    merchantId: string
    secretKey: string
    timeoutMs: number
  }
  /** Kaspi's check/pay channel (DESIGN 17, docs/kaspi.md). */
  kaspi: {
    /** `off`: neither the channel nor the Kaspi sandbox is mounted. */
    mode: 'live' | 'sandbox' | 'off'
    /** Addresses and CIDRs (canonical `a.b.c.d/n`) the channel answers; another gets 403. */
    allowedIps: string[]
    rateLimitPerMinute: number
    /** Every answer leaves within this; a pay still running is answered `in progress` and completes. */
    deadlineMs: number
  }
  mail: {
    mode: 'sandbox' | 'smtp'
    /** Holds the SMTP credentials: never logged. */
    smtpUrl: string | null
    from: string
    maxAttempts: number
  }
  /**
   * Worker attempts of a refund (graphile-worker backoff, exp(attempt) s) before an unknown outcome becomes
   * needs_review.
   */
  refunds: { maxAttempts: number }
  webhooks: {
    /** Seconds to wait after the 1st, 2nd, … failed attempt; then the delivery is failed. */
    retrySchedule: number[]
    timeoutMs: number
    /** http:// and loopback/private destinations: a developer's machine only, unless set. */
    allowPrivateUrls: boolean
  }
  rateLimitPerMinute: number
  lookupRateLimitPerMinute: number
  /** Wrong lookups of one contract within `seconds` that lock it for `seconds` (enumeration of IINs). */
  lookupThrottle: { failuresPerContract: number, seconds: number }
  /** Per-IP limit of each bank callback route: generous, the bank retries and bursts. */
  callbackRateLimitPerMinute: number
  /** Per-IP limit of GET /metrics: a scraper asks a few times a minute; a burst beyond it is refused, not computed. */
  metricsRateLimitPerMinute: number
  /** When set, GET /metrics requires it as a Bearer token; null (open) in a deployment only if METRICS_PUBLIC=true. */
  metricsToken: string | null
  /** Consent withdrawals (and their code checks): each email and each IP (/64 for IPv6) may ask this often an hour. */
  privacyRequests: { perEmailPerHour: number, perIpPerHour: number }
  payments: {
    minAmount: bigint
    lifetimeSeconds: number
    /** A pending payment is first asked about at the bank this long after it started, then with backoff. */
    reconcileAfterSeconds: number
    returnUrlAllowedHosts: string[]
  }
  risk: {
    maxPaymentsPerHourPerIp: number
    maxPaymentsPerHourPerIin: number
    maxPaymentsPerHourPerEmail: number
    maxFailedPaymentsPerDayPerIin: number
    maxPaymentAmount: bigint
  }
  bodyLimitBytes: number
  /** Bounds of the HTTP server's connections (DESIGN 22). */
  http: {
    /** A connection on which nothing moves this long, before, during or between requests, is closed. */
    idleTimeoutMs: number
    /** Connections held at once; more are refused at accept, so the pool, the worker and outbound calls keep theirs. */
    maxConnections: number
    /** A request's line and headers must have arrived this long after its first byte (Node's headersTimeout). */
    headersTimeoutMs: number
    /** A request's body (all but a streamed upload) must have arrived this long after it is first read. */
    bodyTimeoutMs: number
  }
  debtImportMaxBytes: number
  /** A channel's daily registry upload (DESIGN 17): its largest file and most lines. */
  channelRegistries: { maxBytes: number, maxLines: number }
  /** The reconciliation reports (DESIGN 18): most lines in one, what bounds its memory. */
  reportMaxLines: number
  /** Acquirers' payouts (DESIGN 18): business days a succeeded payment may wait for its payout. */
  settlements: { overdueDays: number }
  /** Portfolio uploads (DESIGN 16): slow ones never hold the service. */
  debtImports: {
    /** Imports at once in this process, each on a connection of the imports' own pool; one more is 429 import_busy. */
    concurrency: number
    /** The longest an upload may keep the service waiting for its next bytes, what it earns back included. */
    idleTimeoutMs: number
    /** Each byte that arrives earns back 1/this of a second of waiting: a slower trickle runs out of time. */
    minBytesPerSecond: number
  }
  agency: AgencyRequisites
}

export class ConfigError extends Error {
  constructor (readonly variable: string, message: string) {
    super(`${variable}: ${message}`)
  }
}

// Environment variables are text; the schema says which are integers and booleans, and they are read as such here.
const schemaTypes = Object.entries(EnvSchema.properties) as Array<[string, { type?: unknown }]>
const INTEGER_VARS = new Set(schemaTypes.filter(([, schema]) => schema.type === 'integer').map(([name]) => name))
const BOOLEAN_VARS = new Set(schemaTypes.filter(([, schema]) => schema.type === 'boolean').map(([name]) => name))

function coerce (name: string, raw: string): unknown {
  if (INTEGER_VARS.has(name)) {
    if (!/^-?\d+$/.test(raw)) throw new ConfigError(name, `must be an integer, got ${JSON.stringify(raw)}`)
    return Number(raw)
  }
  if (BOOLEAN_VARS.has(name)) {
    if (raw === 'true' || raw === '1') return true
    if (raw === 'false' || raw === '0') return false
    throw new ConfigError(name, `must be true or false, got ${JSON.stringify(raw)}`)
  }
  return raw
}

function parseTrustProxy (value: string): boolean | number | string {
  if (value === 'false') return false
  if (value === 'true') return true
  if (/^\d{1,2}$/.test(value)) return Number(value)
  return value.split(',').map((a) => a.trim()).filter((a) => a !== '').join(',')
}

/**
 * Why this process is a deployment, in the words of a configuration error, or null on a developer's machine.
 * DATABASE_URL set is one; so is NODE_ENV=production, which the Docker image sets: a production process never
 * falls back to what only a developer's machine may have (STYLE 17, DESIGN 16).
 */
function deploymentOf (e: Env): string | null {
  if (e.DATABASE_URL !== undefined) return 'DATABASE_URL is set'
  if (e.NODE_ENV === 'production') return 'NODE_ENV=production'
  return null
}

/**
 * The bank mode is never guessed outside a developer's machine: in a
 * deployment it must be given, and `live` needs every credential.
 * Without a deployment (embedded Postgres) the sandbox is the default, unless
 * bank credentials are given: then the mode must be said too, so a real
 * secret never ends up signing for the sandbox by accident.
 */
function resolveBankMode (e: Env, deployment: string | null): 'sandbox' | 'live' {
  if (e.BANK_MODE === undefined) {
    if (deployment !== null) {
      throw new ConfigError('BANK_MODE', `is required when ${deployment}: live (the acquirer, with BANK_BASE_URL, ` +
        'BANK_MERCHANT_ID and BANK_SECRET_KEY) or sandbox (the built-in test bank, staging only)')
    }
    const given = (['BANK_BASE_URL', 'BANK_MERCHANT_ID', 'BANK_SECRET_KEY'] as const).filter((name) => e[name] !== undefined)
    if (given.length > 0) throw new ConfigError('BANK_MODE', `is required when ${given.join(', ')} ${given.length === 1 ? 'is' : 'are'} set: live or sandbox`)
    return 'sandbox'
  }
  if (e.BANK_MODE === 'live') {
    for (const name of ['BANK_BASE_URL', 'BANK_MERCHANT_ID', 'BANK_SECRET_KEY'] as const) {
      if (e[name] === undefined) throw new ConfigError(name, 'is required when BANK_MODE=live')
    }
  }
  return e.BANK_MODE
}

/**
 * The mail mode, like the bank's: never guessed where real people could be
 * written to. In a deployment it must be given (modes are explicit,
 * docs/architecture.md, notifications); the sandbox mailbox is the default only on a developer's machine.
 * A live bank never sends payers' mail to the public sandbox mailbox, and
 * SMTP_URL without MAIL_MODE always stops the process, so a real server is
 * never ignored, nor used, by accident.
 */
function resolveMailMode (e: Env, bankMode: 'sandbox' | 'live', deployment: string | null): 'sandbox' | 'smtp' {
  if (e.MAIL_MODE === undefined) {
    if (e.SMTP_URL !== undefined) throw new ConfigError('MAIL_MODE', 'is required when SMTP_URL is set: smtp or sandbox')
    if (deployment !== null) {
      throw new ConfigError('MAIL_MODE', `is required when ${deployment}: smtp (delivery over SMTP_URL from ` +
        'MAIL_FROM) or sandbox (the development mailbox at /sandbox/mailbox; staging only)')
    }
    return bankMode === 'live' ? refuseSandboxMailbox() : 'sandbox'
  }
  if (e.MAIL_MODE === 'sandbox' && bankMode === 'live') refuseSandboxMailbox()
  if (e.MAIL_MODE === 'smtp') {
    for (const name of ['SMTP_URL', 'MAIL_FROM'] as const) {
      if (e[name] === undefined) throw new ConfigError(name, 'is required when MAIL_MODE=smtp')
    }
  }
  return e.MAIL_MODE
}

// The sandbox mailbox is a public page: real payers' messages (a live bank) must never land there.
function refuseSandboxMailbox (): never {
  throw new ConfigError('MAIL_MODE', 'must be smtp when BANK_MODE=live: the sandbox mailbox (/sandbox/mailbox) is public and would show real payers\' messages')
}

/**
 * Kaspi's channel, like the bank, is never guessed outside a developer's machine: there it is `off` unless asked for
 * (and the Kaspi sandbox is the default only on a developer's machine). An allowlist without a mode stops the process,
 * so an operator who meant to turn Kaspi on never finds it silently off. The sandbox lets anyone credit a debt with
 * money nobody paid: never beside a live bank, whose debts are real.
 */
function resolveKaspiMode (e: Env, bankMode: 'sandbox' | 'live', deployment: string | null): 'live' | 'sandbox' | 'off' {
  if (e.KASPI_MODE === undefined && e.KASPI_ALLOWED_IPS !== undefined) {
    throw new ConfigError('KASPI_MODE', 'is required when KASPI_ALLOWED_IPS is set: live, sandbox or off')
  }
  const mode = e.KASPI_MODE ?? (deployment === null && bankMode === 'sandbox' ? 'sandbox' : 'off')
  if (mode === 'live' && e.KASPI_ALLOWED_IPS === undefined) {
    throw new ConfigError('KASPI_ALLOWED_IPS', 'is required when KASPI_MODE=live: the addresses Kaspi calls from ' +
      '(addresses or CIDRs, comma-separated)')
  }
  if (mode === 'sandbox' && bankMode === 'live') {
    throw new ConfigError('KASPI_MODE', 'must be live or off when BANK_MODE=live: the Kaspi sandbox lets anyone ' +
      'credit a real debt with money nobody paid')
  }
  // TRUST_PROXY=true believes every X-Forwarded-For hop, the first of which the client writes: anyone could name a
  // Kaspi address and pass the allowlist. The live channel needs the proxies named (a hop count or their addresses).
  if (mode === 'live' && (e.TRUST_PROXY ?? ENV_DEFAULTS.TRUST_PROXY) === 'true') {
    throw new ConfigError('TRUST_PROXY', 'must not be true when KASPI_MODE=live: a client writes the first ' +
      'X-Forwarded-For hop and would pass KASPI_ALLOWED_IPS; name the proxies (their number of hops, or their ' +
      'addresses or CIDRs)')
  }
  return mode
}

/** KASPI_ALLOWED_IPS as canonical ranges; loopback by default (the sandbox calls the channel from this machine). */
function kaspiAllowedIps (e: Env): string[] {
  const entries = (e.KASPI_ALLOWED_IPS ?? '127.0.0.0/8,::1').split(',').map((a) => a.trim()).filter((a) => a !== '')
  if (entries.length === 0) throw new ConfigError('KASPI_ALLOWED_IPS', 'names no address')
  return entries.map((entry) => {
    const range = parseAddressRange(entry)
    if (range === null) {
      throw new ConfigError('KASPI_ALLOWED_IPS', `${JSON.stringify(entry)} is not an IP address or CIDR`)
    }
    return formatAddressRange(range)
  })
}

/**
 * /metrics shows payment volumes, the job queue and the ledger's health: open only on a developer's machine,
 * or where the operator says so (METRICS_PUBLIC=true: the network keeps it private); otherwise it needs
 * METRICS_TOKEN. Both at once would leave a reader unsure which holds, so that stops the process too.
 */
function resolveMetricsToken (e: Env, deployment: string | null): string | null {
  if (e.METRICS_TOKEN !== undefined) {
    if (e.METRICS_PUBLIC === true) {
      throw new ConfigError('METRICS_PUBLIC', 'must not be true when METRICS_TOKEN is set: /metrics is either open ' +
        'or guarded by the token')
    }
    return e.METRICS_TOKEN
  }
  if (e.METRICS_PUBLIC ?? deployment === null) return null
  throw new ConfigError('METRICS_TOKEN', `is required when ${deployment ?? 'METRICS_PUBLIC=false'}: the Bearer token ` +
    'GET /metrics then asks for (16-200 printable characters), or METRICS_PUBLIC=true to leave /metrics open ' +
    '(only where the network keeps it private)')
}

/**
 * The configuration of a command-line tool (migrate, api-key, pii:rotate, seed): it serves no /metrics, so how that
 * is guarded is the server's concern, and the bank and the mail, which a deployed server must be told, default to the
 * sandboxes, which a tool never calls. `fixed` is what the tool itself decides, over the environment.
 */
export function loadToolConfig (env: NodeJS.ProcessEnv, fixed: NodeJS.ProcessEnv = {}): Config {
  return loadConfig({
    BANK_MODE: 'sandbox', MAIL_MODE: 'sandbox', ...env, METRICS_TOKEN: undefined, METRICS_PUBLIC: 'true', ...fixed
  })
}

/** Reads and validates the environment; throws ConfigError naming the first bad variable. */
export function loadConfig (env: NodeJS.ProcessEnv = process.env): Config {
  const values: Record<string, unknown> = {}
  for (const name of Object.keys(EnvSchema.properties)) {
    const raw = env[name]
    if (raw === undefined || raw === '') continue
    values[name] = coerce(name, raw)
  }
  const firstError = Value.Errors(EnvSchema, values).First()
  if (firstError !== undefined) {
    const name = firstError.path.replace(/^\//, '')
    // credentials ride in these URLs: never echoed
    const secret = name.includes('KEY') || name === 'SMTP_URL' || name.endsWith('DATABASE_URL')
    const shown = secret ? '' : `, got ${JSON.stringify(values[name])}`
    throw new ConfigError(name, `${firstError.message}${shown}`)
  }
  const e = values as Env

  const deployment = deploymentOf(e)
  // A production process never starts the embedded Postgres: its data would live in one container's directory
  // (and the image does not even hold it), beside PII keys generated there, and both would be lost with it.
  if (e.DATABASE_URL === undefined && deployment !== null) {
    throw new ConfigError('DATABASE_URL', `is required when ${deployment}: the embedded Postgres (and the PII keys ` +
      'it generates into DATA_DIR) is for a developer machine only')
  }
  if (e.MIGRATION_DATABASE_URL !== undefined && e.DATABASE_URL === undefined) {
    throw new ConfigError('MIGRATION_DATABASE_URL', 'is set without DATABASE_URL: the embedded database migrates as '
      + 'its own superuser; set both (the owner for migrations, the service\'s role in DATABASE_URL) or neither')
  }
  if (e.DATABASE_URL !== undefined) {
    // Outside embedded mode nobody may invent keys: data encrypted with a key
    // that lives only on one machine would be lost with it.
    for (const name of ['PII_ENCRYPTION_KEY', 'PII_INDEX_KEY'] as const) {
      if (e[name] === undefined) throw new ConfigError(name, 'is required when DATABASE_URL is set (32 bytes, base64)')
    }
  }
  const bankMode = resolveBankMode(e, deployment)
  const mailMode = resolveMailMode(e, bankMode, deployment)
  const kaspiMode = resolveKaspiMode(e, bankMode, deployment)
  const metricsToken = resolveMetricsToken(e, deployment)

  const port = e.PORT ?? ENV_DEFAULTS.PORT
  const host = e.HOST ?? ENV_DEFAULTS.HOST
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host
  const publicBaseUrl = (e.PUBLIC_BASE_URL ?? `http://${urlHost}:${port}`).replace(/\/+$/, '')
  const corsOrigins = (e.CORS_ORIGINS ?? '').split(',').map((o) => o.trim()).filter((o) => o !== '')
  return {
    deployed: deployment !== null,
    port,
    host,
    dataDir: e.DATA_DIR ?? ENV_DEFAULTS.DATA_DIR,
    databaseUrl: e.DATABASE_URL ?? null,
    migrationDatabaseUrl: e.MIGRATION_DATABASE_URL ?? e.DATABASE_URL ?? null,
    databasePoolMax: e.DATABASE_POOL_MAX ?? ENV_DEFAULTS.DATABASE_POOL_MAX,
    logLevel: e.LOG_LEVEL ?? ENV_DEFAULTS.LOG_LEVEL,
    logFormat: e.LOG_FORMAT ?? null,
    role: e.ROLE ?? ENV_DEFAULTS.ROLE,
    migrateOnStart: e.MIGRATE_ON_START ?? ENV_DEFAULTS.MIGRATE_ON_START,
    shutdownTimeoutSeconds: e.SHUTDOWN_TIMEOUT_SECONDS ?? ENV_DEFAULTS.SHUTDOWN_TIMEOUT_SECONDS,
    corsOrigins,
    trustProxy: parseTrustProxy(e.TRUST_PROXY ?? ENV_DEFAULTS.TRUST_PROXY),
    publicBaseUrl,
    pii: {
      encryptionKey: e.PII_ENCRYPTION_KEY ?? null,
      encryptionKeyId: e.PII_ENCRYPTION_KEY_ID ?? ENV_DEFAULTS.PII_ENCRYPTION_KEY_ID,
      previousKeys: (e.PII_PREVIOUS_KEYS ?? '').split(',').filter((p) => p !== '').map((pair) => {
        const [id, key] = pair.split(':') as [string, string]
        return { id, key }
      }),
      indexKey: e.PII_INDEX_KEY ?? null,
      previousIndexKey: e.PII_PREVIOUS_INDEX_KEY ?? null
    },
    adminApiKey: e.ADMIN_API_KEY ?? null,
    bank: {
      mode: bankMode,
      // Sandbox: the built-in bank under our own URL, with fixed test
      // credentials so the api and worker processes agree on them.
      baseUrl: e.BANK_BASE_URL ?? `${publicBaseUrl}/sandbox/bank`,
      merchantId: e.BANK_MERCHANT_ID ?? ENV_DEFAULTS.BANK_MERCHANT_ID,
      secretKey: e.BANK_SECRET_KEY ?? ENV_DEFAULTS.BANK_SECRET_KEY,
      timeoutMs: e.BANK_TIMEOUT_MS ?? ENV_DEFAULTS.BANK_TIMEOUT_MS
    },
    kaspi: {
      mode: kaspiMode,
      allowedIps: kaspiAllowedIps(e),
      rateLimitPerMinute: e.KASPI_RATE_LIMIT_PER_MINUTE ?? ENV_DEFAULTS.KASPI_RATE_LIMIT_PER_MINUTE,
      deadlineMs: e.KASPI_DEADLINE_MS ?? ENV_DEFAULTS.KASPI_DEADLINE_MS
    },
    mail: {
      mode: mailMode,
      smtpUrl: e.SMTP_URL ?? null,
      from: e.MAIL_FROM ?? `noreply@${new URL(publicBaseUrl).hostname}`,
      maxAttempts: e.MAIL_MAX_ATTEMPTS ?? ENV_DEFAULTS.MAIL_MAX_ATTEMPTS
    },
    refunds: { maxAttempts: e.REFUND_MAX_ATTEMPTS ?? ENV_DEFAULTS.REFUND_MAX_ATTEMPTS },
    webhooks: {
      retrySchedule: e.WEBHOOK_RETRY_SCHEDULE?.split(',').map((s) => Number(s.trim())) ?? DEFAULT_WEBHOOK_RETRY_SCHEDULE,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS ?? ENV_DEFAULTS.WEBHOOK_TIMEOUT_MS,
      // modes are explicit: destinations on our own network are a developer's machine's default only
      allowPrivateUrls: e.WEBHOOK_ALLOW_PRIVATE_URLS ?? deployment === null
    },
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE ?? ENV_DEFAULTS.RATE_LIMIT_PER_MINUTE,
    lookupRateLimitPerMinute: e.LOOKUP_RATE_LIMIT_PER_MINUTE ?? ENV_DEFAULTS.LOOKUP_RATE_LIMIT_PER_MINUTE,
    lookupThrottle: {
      failuresPerContract: e.LOOKUP_FAILURES_PER_CONTRACT ?? ENV_DEFAULTS.LOOKUP_FAILURES_PER_CONTRACT,
      seconds: e.LOOKUP_CONTRACT_LOCK_SECONDS ?? ENV_DEFAULTS.LOOKUP_CONTRACT_LOCK_SECONDS
    },
    callbackRateLimitPerMinute: e.CALLBACK_RATE_LIMIT_PER_MINUTE ?? ENV_DEFAULTS.CALLBACK_RATE_LIMIT_PER_MINUTE,
    metricsRateLimitPerMinute: e.METRICS_RATE_LIMIT_PER_MINUTE ?? ENV_DEFAULTS.METRICS_RATE_LIMIT_PER_MINUTE,
    metricsToken,
    privacyRequests: {
      perEmailPerHour: e.PRIVACY_REQUESTS_PER_EMAIL_PER_HOUR ?? ENV_DEFAULTS.PRIVACY_REQUESTS_PER_EMAIL_PER_HOUR,
      perIpPerHour: e.PRIVACY_REQUESTS_PER_IP_PER_HOUR ?? ENV_DEFAULTS.PRIVACY_REQUESTS_PER_IP_PER_HOUR
    },
    payments: {
      minAmount: BigInt(e.PAYMENT_MIN_AMOUNT ?? ENV_DEFAULTS.PAYMENT_MIN_AMOUNT),
      lifetimeSeconds: e.PAYMENT_LIFETIME_SECONDS ?? ENV_DEFAULTS.PAYMENT_LIFETIME_SECONDS,
      reconcileAfterSeconds: e.RECONCILE_AFTER_SECONDS ?? ENV_DEFAULTS.RECONCILE_AFTER_SECONDS,
      // Where the bank may send the payer back: our own host, the agency's
      // website origins and localhost, unless configured; never an arbitrary site.
      returnUrlAllowedHosts: e.RETURN_URL_ALLOWED_HOSTS !== undefined
        ? e.RETURN_URL_ALLOWED_HOSTS.split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '')
        : [...new Set([
            ...[publicBaseUrl, ...corsOrigins, e.AGENCY_WEBSITE ?? ENV_DEFAULTS.AGENCY_WEBSITE]
              .map((u) => new URL(u).hostname.toLowerCase()),
            // the payer's own machine: harmless, and what a developer's site runs on
            'localhost', '127.0.0.1'
          ])]
    },
    risk: {
      maxPaymentsPerHourPerIp: e.RISK_MAX_PAYMENTS_PER_HOUR_PER_IP ?? ENV_DEFAULTS.RISK_MAX_PAYMENTS_PER_HOUR_PER_IP,
      maxPaymentsPerHourPerIin: e.RISK_MAX_PAYMENTS_PER_HOUR_PER_IIN ?? ENV_DEFAULTS.RISK_MAX_PAYMENTS_PER_HOUR_PER_IIN,
      maxPaymentsPerHourPerEmail:
        e.RISK_MAX_PAYMENTS_PER_HOUR_PER_EMAIL ?? ENV_DEFAULTS.RISK_MAX_PAYMENTS_PER_HOUR_PER_EMAIL,
      maxFailedPaymentsPerDayPerIin:
        e.RISK_MAX_FAILED_PAYMENTS_PER_DAY_PER_IIN ?? ENV_DEFAULTS.RISK_MAX_FAILED_PAYMENTS_PER_DAY_PER_IIN,
      maxPaymentAmount: BigInt(e.RISK_MAX_PAYMENT_AMOUNT ?? ENV_DEFAULTS.RISK_MAX_PAYMENT_AMOUNT)
    },
    bodyLimitBytes: e.BODY_LIMIT_BYTES ?? ENV_DEFAULTS.BODY_LIMIT_BYTES,
    http: {
      idleTimeoutMs: e.HTTP_IDLE_TIMEOUT_MS ?? ENV_DEFAULTS.HTTP_IDLE_TIMEOUT_MS,
      maxConnections: e.HTTP_MAX_CONNECTIONS ?? ENV_DEFAULTS.HTTP_MAX_CONNECTIONS,
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS ?? ENV_DEFAULTS.HTTP_HEADERS_TIMEOUT_MS,
      bodyTimeoutMs: e.HTTP_BODY_TIMEOUT_MS ?? ENV_DEFAULTS.HTTP_BODY_TIMEOUT_MS
    },
    debtImportMaxBytes: e.DEBT_IMPORT_MAX_BYTES ?? ENV_DEFAULTS.DEBT_IMPORT_MAX_BYTES,
    channelRegistries: {
      maxBytes: e.CHANNEL_REGISTRY_MAX_BYTES ?? ENV_DEFAULTS.CHANNEL_REGISTRY_MAX_BYTES,
      maxLines: e.CHANNEL_REGISTRY_MAX_LINES ?? ENV_DEFAULTS.CHANNEL_REGISTRY_MAX_LINES
    },
    reportMaxLines: e.REPORT_MAX_LINES ?? ENV_DEFAULTS.REPORT_MAX_LINES,
    settlements: { overdueDays: e.SETTLEMENT_OVERDUE_DAYS ?? ENV_DEFAULTS.SETTLEMENT_OVERDUE_DAYS },
    debtImports: {
      concurrency: e.DEBT_IMPORT_CONCURRENCY ?? ENV_DEFAULTS.DEBT_IMPORT_CONCURRENCY,
      idleTimeoutMs: e.DEBT_IMPORT_IDLE_TIMEOUT_MS ?? ENV_DEFAULTS.DEBT_IMPORT_IDLE_TIMEOUT_MS,
      minBytesPerSecond: e.DEBT_IMPORT_MIN_BYTES_PER_SECOND ?? ENV_DEFAULTS.DEBT_IMPORT_MIN_BYTES_PER_SECOND
    },
    agency: {
      name: e.AGENCY_NAME ?? ENV_DEFAULTS.AGENCY_NAME,
      bin: e.AGENCY_BIN ?? ENV_DEFAULTS.AGENCY_BIN,
      iban: e.AGENCY_IBAN ?? ENV_DEFAULTS.AGENCY_IBAN,
      bank: e.AGENCY_BANK ?? ENV_DEFAULTS.AGENCY_BANK,
      bic: e.AGENCY_BIC ?? ENV_DEFAULTS.AGENCY_BIC,
      address: e.AGENCY_ADDRESS ?? ENV_DEFAULTS.AGENCY_ADDRESS,
      supportEmail: e.AGENCY_SUPPORT_EMAIL ?? ENV_DEFAULTS.AGENCY_SUPPORT_EMAIL,
      supportPhone: e.AGENCY_SUPPORT_PHONE ?? AGENCY_DEFAULTS.supportPhone,
      website: e.AGENCY_WEBSITE ?? ENV_DEFAULTS.AGENCY_WEBSITE
    }
  }
}

/**
 * Configuration with the process-level decisions made by the process entry (src/server.ts): which database, which keys.
 */
export interface AppConfig extends Config {
  databaseUrl: string
  piiKeys: PiiKeys
}
