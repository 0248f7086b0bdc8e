// Every environment variable the service reads: its type, its meaning and its default, in one place. The loader
// (src/config.ts) validates against the schema and falls back to ENV_DEFAULTS; docs/configuration.md is generated
// from all three (`npm run docs:config`, checked fresh by `npm run docs:check`), and .env.example lists every
// variable. A description is an annotation only: it changes nothing that is accepted or refused.
// Descriptions are Markdown, with links relative to docs/.
import { Type, type Static } from '@sinclair/typebox'

const Port = Type.Integer({ minimum: 0, maximum: 65535, description: 'HTTP port' })
const bool = (description: string) => Type.Boolean({ description })
const base64Key = (description: string) => Type.String({ pattern: '^[A-Za-z0-9+/]{43}=$', description })
const DEPLOYMENT = 'in a deployment (`DATABASE_URL` set or `NODE_ENV=production`)'

export const EnvSchema = Type.Object({
  NODE_ENV: Type.Optional(Type.String({
    description: '`production` makes the process a deployment, as `DATABASE_URL` does (the Docker image and ' +
      'docker-compose set it): it then needs `DATABASE_URL` (never the embedded Postgres), `BANK_MODE`, ' +
      '`MAIL_MODE`, and `METRICS_TOKEN` or `METRICS_PUBLIC=true`; any other value changes nothing'
  })),
  PORT: Type.Optional(Port),
  HOST: Type.Optional(Type.String({
    minLength: 1,
    description: 'interface to listen on (`0.0.0.0` in the Docker image)'
  })),
  DATA_DIR: Type.Optional(Type.String({
    minLength: 1,
    description: 'embedded Postgres and generated dev keys (only without `DATABASE_URL`)'
  })),
  DATABASE_URL: Type.Optional(Type.String({
    pattern: '^postgres(ql)?://',
    description: 'Postgres connection string of the service: a login in the group role `debt_payments_service`, ' +
      'which owns no table; unset starts the embedded Postgres (with such a login, `debt_payments_app`)'
  })),
  MIGRATION_DATABASE_URL: Type.Optional(Type.String({
    pattern: '^postgres(ql)?://',
    description: 'Postgres connection string of the owner of the tables, used only by the migrations (at start ' +
      'with `MIGRATE_ON_START`, and `npm run migrate`); only with `DATABASE_URL` ' +
      '([architecture](architecture.md#postgres-roles))'
  })),
  DATABASE_POOL_MAX: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, description: 'connections per process' })),
  LOG_LEVEL: Type.Optional(Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    {
      description: 'pino level (`fatal` … `trace`, `silent`); at `info`, one line per request once answered ' +
        '(`request completed`: request id, method, path, status, time; never the query string, headers or body)'
    }
  )),
  LOG_FORMAT: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('pretty')], {
    description: '`json` (one JSON object a line, what log collectors and the tests read) or `pretty` (time, level, ' +
      'message and fields, for a person); unset: `pretty` when standard output is a terminal, `json` otherwise. ' +
      'Personal data is redacted before either is written'
  })),
  ROLE: Type.Optional(Type.Union([Type.Literal('api'), Type.Literal('worker'), Type.Literal('all')], {
    description: '`api` (HTTP), `worker` (background jobs, serves only `/health/*`), `all`'
  })),
  MIGRATE_ON_START: Type.Optional(bool('apply migrations at start')),
  SHUTDOWN_TIMEOUT_SECONDS: Type.Optional(Type.Integer({
    minimum: 2,
    maximum: 600,
    description: 'on SIGTERM/SIGINT: the bound for in-flight requests and running jobs to finish. Long jobs stop ' +
      'at their next safe point at once (an import after its current batch, resuming later where it stopped); the ' +
      'others finish, each bank, SMTP and webhook call within its own timeout; past the bound the process exits 1 ' +
      'and any job it still held is picked up again by another worker within a minute'
  })),
  CORS_ORIGINS: Type.Optional(Type.String({ description: 'comma-separated allowlist of browser origins' })),
  TRUST_PROXY: Type.Optional(Type.String({
    pattern: '^(true|false|\\d{1,2}|[0-9a-fA-F.:/,\\s]+)$',
    description: 'whose `X-Forwarded-For` to believe (rate limits and risk rules key on the client address): ' +
      '`true`, a hop count, or proxy addresses/CIDRs'
  })),
  PUBLIC_BASE_URL: Type.Optional(Type.String({
    pattern: '^https?://[^\\s/]+(/.*)?$',
    description: 'the URL clients and the bank use (callbacks, docs servers)'
  })),
  PII_ENCRYPTION_KEY: Type.Optional(base64Key(
    'AES-256-GCM key, 32 bytes base64; required with `DATABASE_URL`'
  )),
  PII_ENCRYPTION_KEY_ID: Type.Optional(Type.String({
    pattern: '^[A-Za-z0-9_-]{1,32}$',
    description: 'id stored with every ciphertext (key rotation)'
  })),
  PII_PREVIOUS_KEYS: Type.Optional(Type.String({
    pattern: '^([A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/]{43}=)(,[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/]{43}=)*$',
    description: '`id:base64,…` old keys kept to decrypt existing rows'
  })),
  PII_INDEX_KEY: Type.Optional(base64Key('HMAC-SHA256 key of the blind index; required with `DATABASE_URL`')),
  PII_PREVIOUS_INDEX_KEY: Type.Optional(base64Key(
    'the blind-index key before a rotation, read only by `npm run pii:rotate -- --rebuild-indexes` (indexes that ' +
    'verify under it are rewritten under `PII_INDEX_KEY`); the service ignores it'
  )),
  ADMIN_API_KEY: Type.Optional(Type.String({
    minLength: 32,
    maxLength: 256,
    description: 'at least 32 characters: at start an admin key with exactly this value is ensured, one record ' +
      'named `ADMIN_API_KEY`. A new value creates its key and revokes the previous one in the same transaction ' +
      '(audit log `api_key.revoked`); the same value changes nothing; a revoked value is never re-enabled; keys ' +
      'created through the API or `npm run api-key` are never touched'
  })),
  BANK_MODE: Type.Optional(Type.Union([Type.Literal('sandbox'), Type.Literal('live')], {
    description: '`live`: the acquirer (needs `BANK_BASE_URL`, `BANK_MERCHANT_ID`, `BANK_SECRET_KEY`). ' +
      '`sandbox`: the built-in test bank under `/sandbox/bank`, where anyone can pay with a test card; in a ' +
      'deployment it is for staging only, logs a warning at start and `/health/ready` says `"bank": "sandbox"`. ' +
      'Bank credentials without `BANK_MODE` stop the process too'
  })),
  BANK_BASE_URL: Type.Optional(Type.String({
    pattern: '^https?://',
    description: 'acquirer API base URL (required in live mode)'
  })),
  BANK_MERCHANT_ID: Type.Optional(Type.String({ minLength: 1, description: 'merchant id (required in live mode)' })),
  BANK_SECRET_KEY: Type.Optional(Type.String({
    minLength: 1,
    description: 'merchant secret used for `pg_sig` (required in live mode)'
  })),
  BANK_TIMEOUT_MS: Type.Optional(Type.Integer({
    minimum: 100,
    maximum: 120000,
    description: 'timeout of one call to the bank'
  })),
  KASPI_MODE: Type.Optional(Type.Union([Type.Literal('live'), Type.Literal('sandbox'), Type.Literal('off')], {
    description: 'Kaspi\'s check/pay channel `GET /v1/channels/kaspi` ([Kaspi](kaspi.md)). `live`: Kaspi calls it ' +
      '(needs `KASPI_ALLOWED_IPS`). `sandbox`: the same channel, and `POST /sandbox/kaspi/payments` plays the Kaspi ' +
      'app against it (anyone can credit a debt with money nobody paid: never with `BANK_MODE=live`; a deployment ' +
      'logs a warning at start). `off`: neither is mounted (404). `KASPI_ALLOWED_IPS` without `KASPI_MODE` stops ' +
      'the process'
  })),
  KASPI_ALLOWED_IPS: Type.Optional(Type.String({
    pattern: '^[0-9a-fA-F.:/,\\s]+$',
    description: 'comma-separated addresses and CIDRs the channel answers (`203.0.113.0/24, 2001:db8::/32`: the ' +
      'addresses Kaspi gives); any other client address (after `TRUST_PROXY`) gets 403 `forbidden`'
  })),
  KASPI_RATE_LIMIT_PER_MINUTE: Type.Optional(Type.Integer({
    minimum: 1,
    description: 'per-IP limit of `GET /v1/channels/kaspi` (429 `rate_limited`), instead of ' +
      '`RATE_LIMIT_PER_MINUTE`: generous, since all of Kaspi\'s traffic comes from its few addresses'
  })),
  KASPI_DEADLINE_MS: Type.Optional(Type.Integer({
    minimum: 100,
    maximum: 14_000,
    description: 'the channel answers within this (Kaspi waits 15 s): a pay still running then is answered ' +
      '`result` 4 (in progress) and completes; Kaspi\'s repeat gets its stored answer'
  })),
  MAIL_MODE: Type.Optional(Type.Union([Type.Literal('sandbox'), Type.Literal('smtp')], {
    description: '`smtp`: the worker delivers emails over `SMTP_URL` from `MAIL_FROM` (both required). ' +
      '`sandbox`: nothing is sent, messages are kept in the development mailbox `GET /sandbox/mailbox`; in a ' +
      'deployment it is for staging only and logs a warning at start. `SMTP_URL` without `MAIL_MODE` stops the ' +
      'process too'
  })),
  SMTP_URL: Type.Optional(Type.String({
    pattern: '^smtps?://[^\\s]+$',
    description: '`smtp://` (STARTTLS when offered) or `smtps://` (TLS), credentials in the URL: ' +
      '`smtps://user:password@smtp.example.kz:465`. Secret: never logged nor echoed in a configuration error'
  })),
  MAIL_FROM: Type.Optional(Type.String({
    pattern: '^([^<>\\r\\n@]*<[^@\\s<>]+@[^@\\s<>]+\\.[^@\\s<>]+>|[^@\\s<>]+@[^@\\s<>]+\\.[^@\\s<>]+)$',
    description: 'sender, `addr@example.kz` or `Name <addr@example.kz>`'
  })),
  MAIL_MAX_ATTEMPTS: Type.Optional(Type.Integer({
    minimum: 1,
    maximum: 25,
    description: 'attempts per email (graphile-worker\'s exponential backoff between them) before it is `failed`'
  })),
  REFUND_MAX_ATTEMPTS: Type.Optional(Type.Integer({
    minimum: 1,
    maximum: 25,
    description: 'worker attempts of a refund (graphile-worker backoff, about exp(attempt) s) before an outcome ' +
      'still unknown becomes `needs_review`'
  })),
  WEBHOOK_RETRY_SCHEDULE: Type.Optional(Type.String({
    pattern: '^\\s*\\d{1,7}\\s*(,\\s*\\d{1,7}\\s*){0,29}$',
    description: 'seconds to wait after the 1st, 2nd, … failed webhook attempt (comma-separated); when they run ' +
      'out the delivery is `failed`'
  })),
  WEBHOOK_TIMEOUT_MS: Type.Optional(Type.Integer({
    minimum: 100,
    maximum: 120000,
    description: 'timeout of one webhook attempt'
  })),
  WEBHOOK_ALLOW_PRIVATE_URLS: Type.Optional(bool(
    '`true` lets endpoints use `http://` and loopback, private or link-local addresses (a deployment that sets it ' +
    'logs a warning at start); otherwise only https to public addresses (ipaddr.js over the IANA special-purpose ' +
    'registries; an IPv6 address carrying an IPv4 one is judged by it), checked on the resolved address at every ' +
    'delivery'
  )),
  RATE_LIMIT_PER_MINUTE: Type.Optional(Type.Integer({
    minimum: 1,
    description: 'default per-IP rate limit (an IPv6 client counts per /64); some routes are stricter'
  })),
  BODY_LIMIT_BYTES: Type.Optional(Type.Integer({ minimum: 1024, description: 'largest accepted JSON body' })),
  HTTP_IDLE_TIMEOUT_MS: Type.Optional(Type.Integer({
    minimum: 100,
    maximum: 600_000,
    description: 'a connection on which nothing moves this long (before, between or during requests) is closed; ' +
      'keep a proxy\'s upstream keep-alive below it ([operations](operations.md))'
  })),
  HTTP_MAX_CONNECTIONS: Type.Optional(Type.Integer({
    minimum: 1,
    maximum: 1_000_000,
    description: 'connections held at once per process; more are dropped at accept (keep it well under `ulimit -n`)'
  })),
  HTTP_HEADERS_TIMEOUT_MS: Type.Optional(Type.Integer({
    minimum: 100,
    maximum: 600_000,
    description: 'a request\'s line and headers must arrive within this of its first byte (a new connection\'s: ' +
      'of its opening); else 408 `request_timeout` and the connection closed'
  })),
  HTTP_BODY_TIMEOUT_MS: Type.Optional(Type.Integer({
    minimum: 100,
    maximum: 600_000,
    description: 'a JSON or form body must arrive within this of the moment it is read, however steadily it ' +
      'trickles (408 `request_timeout`); a portfolio upload has a pace instead'
  })),
  LOOKUP_RATE_LIMIT_PER_MINUTE: Type.Optional(Type.Integer({
    minimum: 1,
    description: 'per-IP limit of `POST /v1/debts/lookup` (enumeration), and of `GET /v1/payment-links/{token}`'
  })),
  LOOKUP_FAILURES_PER_CONTRACT: Type.Optional(Type.Integer({
    minimum: 1,
    maximum: 1000,
    description: 'misses (wrong IIN, or no such debt) of one contract number within ' +
      '`LOOKUP_CONTRACT_LOCK_SECONDS` that lock it'
  })),
  LOOKUP_CONTRACT_LOCK_SECONDS: Type.Optional(Type.Integer({
    minimum: 1,
    maximum: 604800,
    description: 'the window those misses are counted in, and how long the contract then stays locked'
  })),
  CALLBACK_RATE_LIMIT_PER_MINUTE: Type.Optional(Type.Integer({
    minimum: 1,
    description: 'per-IP limit of each bank callback route (429 `rate_limited`); their bodies are capped at 16 KB ' +
      '(413)'
  })),
  METRICS_RATE_LIMIT_PER_MINUTE: Type.Optional(Type.Integer({
    minimum: 1,
    description: 'per-IP limit of `GET /metrics` (429 `rate_limited`); concurrent scrapes share one read of the ' +
      'database figures, reused for 5 s'
  })),
  METRICS_TOKEN: Type.Optional(Type.String({
    minLength: 16,
    maxLength: 200,
    pattern: '^[\\x21-\\x7e]+$',
    description: '16-200 printable characters: `GET /metrics` then requires `Authorization: Bearer <token>` ' +
      '(401 `unauthenticated` otherwise)'
  })),
  METRICS_PUBLIC: Type.Optional(bool(
    '`true` leaves `GET /metrics` open to whoever reaches it: only where the network keeps it private; a ' +
    'deployment logs a warning at start. Cannot be `true` together with `METRICS_TOKEN`'
  )),
  PRIVACY_REQUESTS_PER_EMAIL_PER_HOUR: Type.Optional(Type.Integer({
    minimum: 1,
    maximum: 1000,
    description: 'privacy requests naming one email per hour (429 `rate_limited`, `Retry-After: 3600`)'
  })),
  PRIVACY_REQUESTS_PER_IP_PER_HOUR: Type.Optional(Type.Integer({
    minimum: 1,
    description: 'privacy requests, and separately code checks, per IP (/64 for IPv6) per hour'
  })),
  PAYMENT_MIN_AMOUNT: Type.Optional(Type.Integer({
    minimum: 1,
    description: 'smallest payment, tiyn (the default: 100 tenge)'
  })),
  PAYMENT_LIFETIME_SECONDS: Type.Optional(Type.Integer({
    minimum: 300,
    maximum: 604800,
    description: 'how long a started payment may be paid at the bank (`pg_lifetime`)'
  })),
  RECONCILE_AFTER_SECONDS: Type.Optional(Type.Integer({
    minimum: 10,
    maximum: 86400,
    description: 'a pending payment is first asked about at the bank this long after it started, then with a ' +
      'doubling backoff (capped at an hour) and at its lifetime'
  })),
  RETURN_URL_ALLOWED_HOSTS: Type.Optional(Type.String({
    description: 'comma-separated hosts a `returnUrl` may point to'
  })),
  RISK_MAX_PAYMENTS_PER_HOUR_PER_IP: Type.Optional(Type.Integer({
    minimum: 1,
    description: 'risk rule: payments started per IP per hour'
  })),
  RISK_MAX_PAYMENTS_PER_HOUR_PER_IIN: Type.Optional(Type.Integer({
    minimum: 1,
    description: 'risk rule: payments per debtor IIN per hour'
  })),
  RISK_MAX_PAYMENTS_PER_HOUR_PER_EMAIL: Type.Optional(Type.Integer({
    minimum: 1,
    description: 'risk rule: payments per payer email per hour'
  })),
  RISK_MAX_FAILED_PAYMENTS_PER_DAY_PER_IIN: Type.Optional(Type.Integer({
    minimum: 1,
    description: 'risk rule: failed payments per debtor IIN per day'
  })),
  RISK_MAX_PAYMENT_AMOUNT: Type.Optional(Type.Integer({
    minimum: 1,
    description: 'risk rule: largest single payment, tiyn (the default: 100 000 000 tenge)'
  })),
  DEBT_IMPORT_MAX_BYTES: Type.Optional(Type.Integer({
    minimum: 1024,
    description: 'largest portfolio CSV, counted uncompressed (a gzip upload is gunzipped on the way); larger ' +
      'uploads get 413 (the default: 1 GiB)'
  })),
  DEBT_IMPORT_CONCURRENCY: Type.Optional(Type.Integer({
    minimum: 1,
    maximum: 50,
    description: 'portfolio uploads at once per api process, each on a connection of the imports\' own pool, never ' +
      'one of `DATABASE_POOL_MAX`\'s; one more is 429 `import_busy` (`Retry-After`) before its body is read'
  })),
  DEBT_IMPORT_IDLE_TIMEOUT_MS: Type.Optional(Type.Integer({
    minimum: 100,
    maximum: 600_000,
    description: 'an upload has no total time limit but a pace: it may keep the service waiting for its next ' +
      'bytes at most this long at a time (keep it below `HTTP_IDLE_TIMEOUT_MS`)'
  })),
  DEBT_IMPORT_MIN_BYTES_PER_SECOND: Type.Optional(Type.Integer({
    minimum: 1,
    maximum: 1_000_000_000,
    description: 'each byte that arrives earns back 1/this of a second of the idle allowance: an upload slower ' +
      'than this rate is cut with 408 `request_timeout`, nothing imported'
  })),
  CHANNEL_REGISTRY_MAX_BYTES: Type.Optional(Type.Integer({
    minimum: 1024,
    maximum: 1024 * 1024 * 1024,
    description: 'largest daily registry CSV a channel (Kaspi) sends to `POST /v1/admin/channel-registries`; ' +
      'larger uploads get 413 `payload_too_large` (the default: 8 MiB, about 150,000 lines)'
  })),
  CHANNEL_REGISTRY_MAX_LINES: Type.Optional(Type.Integer({
    minimum: 1,
    maximum: 10_000_000,
    description: 'most payment lines in one daily registry; more get 413 `payload_too_large`'
  })),
  REPORT_MAX_LINES: Type.Optional(Type.Integer({
    minimum: 1,
    maximum: 1_000_000,
    description: 'most lines in one reconciliation report (`/v1/admin/reports/daily`, `/v1/partner/reports/daily`); ' +
      'a date range with more is 422 `report_too_large` (narrow the range or the creditor)'
  })),
  SETTLEMENT_OVERDUE_DAYS: Type.Optional(Type.Integer({
    minimum: 1,
    maximum: 60,
    description: 'Kazakhstan business days after the Asia/Almaty day a payment succeeded by which its acquirer\'s ' +
      'payout must have settled it; later it is listed at `GET /v1/admin/settlements/overdue`, counted in ' +
      '`debt_payments_settlements_overdue` and logged at error level by the daily check'
  })),
  AGENCY_NAME: Type.Optional(Type.String({ minLength: 1, description: 'the agency\'s name (requisites)' })),
  AGENCY_BIN: Type.Optional(Type.String({ pattern: '^\\d{12}$', description: 'its BIN (requisites)' })),
  AGENCY_IBAN: Type.Optional(Type.String({ pattern: '^KZ[0-9A-Z]{18}$', description: 'its IBAN (requisites)' })),
  AGENCY_BANK: Type.Optional(Type.String({ minLength: 1, description: 'its bank (requisites)' })),
  AGENCY_BIC: Type.Optional(Type.String({
    pattern: '^[A-Z0-9]{7,11}$',
    description: 'its bank\'s BIC (requisites)'
  })),
  AGENCY_ADDRESS: Type.Optional(Type.String({ minLength: 1, description: 'its address (requisites)' })),
  AGENCY_SUPPORT_EMAIL: Type.Optional(Type.String({
    pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$',
    description: 'its support email (requisites)'
  })),
  AGENCY_SUPPORT_PHONE: Type.Optional(Type.String({ pattern: '^\\+\\d{11}$', description: 'its support phone' })),
  AGENCY_WEBSITE: Type.Optional(Type.String({ pattern: '^https?://', description: 'its website (requisites)' }))
})
export type Env = Static<typeof EnvSchema>

/** The agency's requisites, as `GET /v1/agency` serves them and receipts print them. */
export interface AgencyRequisites {
  name: string
  bin: string
  iban: string
  bank: string
  bic: string
  address: string
  supportEmail: string
  supportPhone: string | null
  website: string
}

/** The requisites printed in the offer (its last page); overridable per deployment. */
export const AGENCY_DEFAULTS: AgencyRequisites = {
  name: 'ТОО «Коллекторское агентство «Эксперт Плюс»',
  bin: '151040003422',
  iban: 'KZ58551A127100213KZT',
  bank: 'АО "Банк Фридом Финанс Казахстан"',
  bic: 'KSNVKZK',
  address: 'РК, г. Алматы, Ауэзовский район, ул. Толе би 298/2',
  supportEmail: 'OpenOffice@explus.kz',
  supportPhone: null,
  website: 'https://www.explus.kz/'
}

/** Webhook retries: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h after the failed attempts. */
export const DEFAULT_WEBHOOK_RETRY_SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]

/** The default of every variable that has one fixed value; the loader falls back to exactly these. */
export const ENV_DEFAULTS = {
  PORT: 3000,
  HOST: '127.0.0.1',
  DATA_DIR: '.data',
  DATABASE_POOL_MAX: 10,
  LOG_LEVEL: 'info',
  ROLE: 'all',
  MIGRATE_ON_START: true,
  SHUTDOWN_TIMEOUT_SECONDS: 20,
  TRUST_PROXY: 'false',
  PII_ENCRYPTION_KEY_ID: 'k1',
  BANK_MERCHANT_ID: 'sandbox-merchant',
  BANK_SECRET_KEY: 'sandbox-secret-key',
  BANK_TIMEOUT_MS: 15000,
  KASPI_RATE_LIMIT_PER_MINUTE: 6000,
  KASPI_DEADLINE_MS: 10_000,
  MAIL_MAX_ATTEMPTS: 10,
  REFUND_MAX_ATTEMPTS: 5,
  WEBHOOK_RETRY_SCHEDULE: DEFAULT_WEBHOOK_RETRY_SCHEDULE.join(','),
  WEBHOOK_TIMEOUT_MS: 15000,
  RATE_LIMIT_PER_MINUTE: 1000,
  BODY_LIMIT_BYTES: 1024 * 1024,
  HTTP_IDLE_TIMEOUT_MS: 30_000,
  HTTP_MAX_CONNECTIONS: 5000,
  HTTP_HEADERS_TIMEOUT_MS: 20_000,
  HTTP_BODY_TIMEOUT_MS: 30_000,
  LOOKUP_RATE_LIMIT_PER_MINUTE: 10,
  LOOKUP_FAILURES_PER_CONTRACT: 5,
  LOOKUP_CONTRACT_LOCK_SECONDS: 900,
  CALLBACK_RATE_LIMIT_PER_MINUTE: 600,
  METRICS_RATE_LIMIT_PER_MINUTE: 60,
  PRIVACY_REQUESTS_PER_EMAIL_PER_HOUR: 3,
  PRIVACY_REQUESTS_PER_IP_PER_HOUR: 20,
  PAYMENT_MIN_AMOUNT: 10_000,
  PAYMENT_LIFETIME_SECONDS: 1800,
  RECONCILE_AFTER_SECONDS: 120,
  RISK_MAX_PAYMENTS_PER_HOUR_PER_IP: 30,
  RISK_MAX_PAYMENTS_PER_HOUR_PER_IIN: 20,
  RISK_MAX_PAYMENTS_PER_HOUR_PER_EMAIL: 20,
  RISK_MAX_FAILED_PAYMENTS_PER_DAY_PER_IIN: 15,
  RISK_MAX_PAYMENT_AMOUNT: 10_000_000_000,
  DEBT_IMPORT_MAX_BYTES: 1024 * 1024 * 1024,
  DEBT_IMPORT_CONCURRENCY: 2,
  DEBT_IMPORT_IDLE_TIMEOUT_MS: 15_000,
  DEBT_IMPORT_MIN_BYTES_PER_SECOND: 1024,
  CHANNEL_REGISTRY_MAX_BYTES: 8 * 1024 * 1024,
  CHANNEL_REGISTRY_MAX_LINES: 100_000,
  REPORT_MAX_LINES: 100_000,
  SETTLEMENT_OVERDUE_DAYS: 3,
  AGENCY_NAME: AGENCY_DEFAULTS.name,
  AGENCY_BIN: AGENCY_DEFAULTS.bin,
  AGENCY_IBAN: AGENCY_DEFAULTS.iban,
  AGENCY_BANK: AGENCY_DEFAULTS.bank,
  AGENCY_BIC: AGENCY_DEFAULTS.bic,
  AGENCY_ADDRESS: AGENCY_DEFAULTS.address,
  AGENCY_SUPPORT_EMAIL: AGENCY_DEFAULTS.supportEmail,
  AGENCY_WEBSITE: AGENCY_DEFAULTS.website
} as const satisfies Partial<Env>

/**
 * The default of every other variable, in words: unset, or worked out by the loader from other variables and from
 * whether the process is a deployment (STYLE 17: what fakes the world is a developer machine's default only).
 */
export const ENV_DEFAULT_NOTES: Partial<Record<keyof Env, string>> = {
  NODE_ENV: 'unset',
  DATABASE_URL: 'unset',
  LOG_FORMAT: '`pretty` on a terminal, `json` otherwise',
  MIGRATION_DATABASE_URL: '`DATABASE_URL`',
  CORS_ORIGINS: 'empty (CORS off)',
  PUBLIC_BASE_URL: '`http://HOST:PORT`',
  PII_ENCRYPTION_KEY: 'generated into `DATA_DIR/keys.json` in embedded mode only',
  PII_PREVIOUS_KEYS: 'empty',
  PII_INDEX_KEY: 'as `PII_ENCRYPTION_KEY`',
  PII_PREVIOUS_INDEX_KEY: 'unset',
  ADMIN_API_KEY: 'unset',
  BANK_MODE: `\`sandbox\` on a developer machine; **required** ${DEPLOYMENT}`,
  BANK_BASE_URL: '`PUBLIC_BASE_URL/sandbox/bank`',
  MAIL_MODE: `\`sandbox\` on a developer machine; **required** ${DEPLOYMENT}, and \`smtp\` with ` +
    '`BANK_MODE=live` (the sandbox mailbox is a public page)',
  SMTP_URL: 'unset',
  KASPI_MODE: `\`sandbox\` on a developer machine; \`off\` ${DEPLOYMENT}`,
  KASPI_ALLOWED_IPS: 'loopback (`127.0.0.0/8`, `::1`) in sandbox; **required** with `KASPI_MODE=live`',
  MAIL_FROM: '`noreply@<PUBLIC_BASE_URL host>` in sandbox',
  WEBHOOK_ALLOW_PRIVATE_URLS: `\`true\` on a developer machine, \`false\` ${DEPLOYMENT}`,
  METRICS_TOKEN: 'unset; **required** in a deployment unless `METRICS_PUBLIC=true`',
  METRICS_PUBLIC: '`true` on a developer machine; unset in a deployment (so `METRICS_TOKEN` is required)',
  RETURN_URL_ALLOWED_HOSTS: 'hosts of `PUBLIC_BASE_URL`, `CORS_ORIGINS` and `AGENCY_WEBSITE`, plus `localhost` and ' +
    '`127.0.0.1`',
  AGENCY_SUPPORT_PHONE: 'unset'
}
