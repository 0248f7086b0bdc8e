import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, loadConfig } from '../src/config.js'

const KEY = Buffer.alloc(32, 7).toString('base64')
const DATABASE = { DATABASE_URL: 'postgres://db/x', PII_ENCRYPTION_KEY: KEY, PII_INDEX_KEY: KEY }
// what the modes' stories below take as given: /metrics left open on purpose (its own story is further down)
const OPEN_METRICS = { METRICS_PUBLIC: 'true' }

t.test('defaults serve a developer machine', async (t) => {
  const config = loadConfig({})
  t.match(config, { port: 3000, host: '127.0.0.1', dataDir: '.data', databaseUrl: null, role: 'all', migrateOnStart: true, publicBaseUrl: 'http://127.0.0.1:3000' })
  t.equal(config.bank.mode, 'sandbox', 'no bank credentials: the sandbox bank')
  t.equal(config.agency.bin, '151040003422')
  t.equal(config.agency.iban, 'KZ58551A127100213KZT')
  t.equal(config.payments.reconcileAfterSeconds, 120, 'a lost result is looked for after two minutes')
})

t.test('values are parsed and validated', async (t) => {
  const config = loadConfig({ PORT: '8080', MIGRATE_ON_START: 'false', CORS_ORIGINS: 'https://explus.kz, https://pay.explus.kz', ROLE: 'worker' })
  t.equal(config.port, 8080)
  t.equal(config.migrateOnStart, false)
  t.same(config.corsOrigins, ['https://explus.kz', 'https://pay.explus.kz'])
  t.equal(config.role, 'worker')
  t.equal(loadConfig({ RECONCILE_AFTER_SECONDS: '300' }).payments.reconcileAfterSeconds, 300)
})

t.test('a malformed value names its variable', async (t) => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ ROLE: 'both' }, 'ROLE'],
    [{ MIGRATE_ON_START: 'yes' }, 'MIGRATE_ON_START'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ PII_ENCRYPTION_KEY: 'short' }, 'PII_ENCRYPTION_KEY'],
    [{ ADMIN_API_KEY: 'too-short' }, 'ADMIN_API_KEY'],
    [{ DATABASE_URL: 'postgres://db/x' }, 'PII_ENCRYPTION_KEY'],
    [{ DATABASE_URL: 'postgres://db/x', PII_ENCRYPTION_KEY: KEY }, 'PII_INDEX_KEY'],
    [{ BANK_MODE: 'live' }, 'BANK_BASE_URL'],
    [{ DATABASE_URL: 'postgres://db/x', PII_ENCRYPTION_KEY: KEY, PII_INDEX_KEY: KEY }, 'BANK_MODE'],
    [{ DATABASE_URL: 'postgres://db/x', PII_ENCRYPTION_KEY: KEY, PII_INDEX_KEY: KEY, BANK_MODE: 'live', BANK_MERCHANT_ID: '545', BANK_SECRET_KEY: 's' }, 'BANK_BASE_URL'],
    [{ BANK_MERCHANT_ID: '545', BANK_SECRET_KEY: 's' }, 'BANK_MODE'],
    [{ BANK_MODE: 'staging' }, 'BANK_MODE'],
    [{ RECONCILE_AFTER_SECONDS: '5' }, 'RECONCILE_AFTER_SECONDS'],
    [{ BANK_MODE: 'live', BANK_BASE_URL: 'https://api.freedompay.kz', BANK_MERCHANT_ID: '1' }, 'BANK_SECRET_KEY'],
    [{ METRICS_PUBLIC: 'maybe' }, 'METRICS_PUBLIC'],
    [{ NODE_ENV: 'production' }, 'DATABASE_URL']
  ]
  for (const [env, variable] of cases) {
    t.throws(() => loadConfig(env), { name: 'Error', variable, message: new RegExp(`^${variable}: `) }, JSON.stringify(env))
  }
  try {
    loadConfig({ ADMIN_API_KEY: 'too-short' })
    t.fail('accepted a short admin key')
  } catch (err) {
    t.ok(err instanceof ConfigError && !err.message.includes('too-short'), 'a secret is never echoed')
  }
})

t.test('the bank mode is explicit outside a developer machine', async (t) => {
  const database = { ...DATABASE, MAIL_MODE: 'sandbox', ...OPEN_METRICS }
  t.throws(() => loadConfig(database), { name: 'Error', variable: 'BANK_MODE', message: /^BANK_MODE: is required when DATABASE_URL is set/ }, 'a production-like start without BANK_MODE stops')
  t.throws(() => loadConfig({ BANK_BASE_URL: 'https://api.freedompay.kz', BANK_MERCHANT_ID: '545', BANK_SECRET_KEY: 's' }), { name: 'Error', variable: 'BANK_MODE', message: /^BANK_MODE: / },
    'credentials alone never pick a mode: not live by guess, and not a sandbox holding the real secret')
  const live = loadConfig({ ...database, BANK_MODE: 'live', BANK_BASE_URL: 'https://api.freedompay.kz', BANK_MERCHANT_ID: '545', BANK_SECRET_KEY: 's', MAIL_MODE: 'smtp', SMTP_URL: 'smtp://mail.example.kz', MAIL_FROM: 'noreply@explus.kz' })
  t.match(live.bank, { mode: 'live', baseUrl: 'https://api.freedompay.kz', merchantId: '545', secretKey: 's' })
  t.equal(loadConfig({ ...database, BANK_MODE: 'sandbox' }).bank.mode, 'sandbox', 'sandbox with a database is allowed (staging)')
  t.equal(loadConfig({}).bank.mode, 'sandbox', 'embedded mode defaults to the sandbox')
})

t.test('the mail mode is explicit outside a developer machine', async (t) => {
  const database = { ...DATABASE, BANK_MODE: 'sandbox', ...OPEN_METRICS }
  const live = { ...database, BANK_MODE: 'live', BANK_BASE_URL: 'https://api.freedompay.kz', BANK_MERCHANT_ID: '545', BANK_SECRET_KEY: 's' }
  t.throws(() => loadConfig(live), { name: 'Error', variable: 'MAIL_MODE', message: /^MAIL_MODE: is required when DATABASE_URL is set/ }, 'a production-like start without MAIL_MODE stops')
  t.throws(() => loadConfig(database), { name: 'Error', variable: 'MAIL_MODE', message: /^MAIL_MODE: is required when DATABASE_URL is set/ }, 'so does a staging start on the sandbox bank: a database may hold real addresses')
  t.throws(() => loadConfig({ ...live, MAIL_MODE: 'sandbox' }), { name: 'Error', variable: 'MAIL_MODE', message: /^MAIL_MODE: must be smtp when BANK_MODE=live/ }, 'real payers\' mail never goes to the public sandbox mailbox')
  t.throws(() => loadConfig({ BANK_MODE: 'live', BANK_BASE_URL: 'https://api.freedompay.kz', BANK_MERCHANT_ID: '545', BANK_SECRET_KEY: 's' }), { name: 'Error', variable: 'MAIL_MODE' }, 'not even on a developer machine')
  t.throws(() => loadConfig({ SMTP_URL: 'smtp://u:p@mail.example.kz:587' }), { name: 'Error', variable: 'MAIL_MODE' }, 'an SMTP server alone never picks a mode')
  t.throws(() => loadConfig({ ...database, MAIL_MODE: 'smtp', MAIL_FROM: 'noreply@example.kz' }), { name: 'Error', variable: 'SMTP_URL', message: /^SMTP_URL: is required when MAIL_MODE=smtp/ })
  t.throws(() => loadConfig({ ...database, MAIL_MODE: 'smtp', SMTP_URL: 'smtp://mail.example.kz' }), { name: 'Error', variable: 'MAIL_FROM' })
  t.throws(() => loadConfig({ MAIL_MODE: 'smtp', SMTP_URL: 'http://mail.example.kz', MAIL_FROM: 'noreply@example.kz' }), { name: 'Error', variable: 'SMTP_URL' }, 'only smtp:// or smtps://')
  try {
    loadConfig({ MAIL_MODE: 'smtp', SMTP_URL: 'smtp://user:hunter2@mail example', MAIL_FROM: 'noreply@example.kz' })
    t.fail('accepted a malformed SMTP_URL')
  } catch (err) {
    t.ok(err instanceof ConfigError && err.variable === 'SMTP_URL' && !err.message.includes('hunter2'), 'the SMTP credentials are never echoed')
  }
  const smtp = loadConfig({ ...database, MAIL_MODE: 'smtp', SMTP_URL: 'smtps://u:p@mail.example.kz:465', MAIL_FROM: 'Эксперт Плюс <noreply@explus.kz>' })
  t.match(smtp.mail, { mode: 'smtp', smtpUrl: 'smtps://u:p@mail.example.kz:465', from: 'Эксперт Плюс <noreply@explus.kz>', maxAttempts: 10 })
  t.equal(loadConfig({ ...database, MAIL_MODE: 'sandbox' }).mail.mode, 'sandbox', 'sandbox with a database is allowed (staging)')
  t.equal(loadConfig({}).mail.mode, 'sandbox', 'embedded mode defaults to the sandbox mailbox')
})

/** loadConfig(env) stops on `variable`, its one line starting with its name (and matching `message`, when given). */
function refuses (t: Test, env: Record<string, string>, variable: string, message: RegExp | null, story: string): void {
  t.throws(() => loadConfig(env), { name: 'Error', variable, message: message ?? new RegExp(`^${variable}: `) }, story)
}

t.test('Kaspi\'s channel is never inferred in a deployment, and live needs the addresses Kaspi calls from', async (t) => {
  t.match(loadConfig({}).kaspi, { mode: 'sandbox', allowedIps: ['127.0.0.0/8', '::1/128'], deadlineMs: 10_000, rateLimitPerMinute: 6000 },
    'a developer machine plays Kaspi against itself, answering loopback only')
  const database = { ...DATABASE, BANK_MODE: 'sandbox', MAIL_MODE: 'sandbox', ...OPEN_METRICS }
  t.equal(loadConfig(database).kaspi.mode, 'off', 'DATABASE_URL: off unless asked for')
  t.equal(loadConfig({ NODE_ENV: 'production', ...database }).kaspi.mode, 'off', 'NODE_ENV=production: off too')
  t.equal(loadConfig({ ...database, KASPI_MODE: 'sandbox' }).kaspi.mode, 'sandbox', 'asked for: staging')
  t.equal(loadConfig({ BANK_MODE: 'live', BANK_BASE_URL: 'https://api.freedompay.kz', BANK_MERCHANT_ID: '545', BANK_SECRET_KEY: 's', MAIL_MODE: 'smtp', SMTP_URL: 'smtp://mail.example.kz', MAIL_FROM: 'noreply@explus.kz' }).kaspi.mode,
    'off', 'beside a live bank a developer machine plays no Kaspi either')
  refuses(t, { ...database, KASPI_MODE: 'live' }, 'KASPI_ALLOWED_IPS', /^KASPI_ALLOWED_IPS: is required when KASPI_MODE=live/, 'live answers only Kaspi')
  refuses(t, { ...database, KASPI_ALLOWED_IPS: '203.0.113.7' }, 'KASPI_MODE', /^KASPI_MODE: is required when KASPI_ALLOWED_IPS is set/,
    'an allowlist without a mode would leave Kaspi silently off')
  refuses(t, { ...database, KASPI_MODE: 'sandbox', BANK_MODE: 'live', BANK_BASE_URL: 'https://api.freedompay.kz', BANK_MERCHANT_ID: '545', BANK_SECRET_KEY: 's', MAIL_MODE: 'smtp', SMTP_URL: 'smtp://mail.example.kz', MAIL_FROM: 'noreply@explus.kz' },
    'KASPI_MODE', /^KASPI_MODE: must be live or off when BANK_MODE=live/, 'no money from nowhere beside real debts')
  // a client writes the first X-Forwarded-For hop: trusting every hop would let anyone pass the allowlist and credit
  refuses(t, { ...database, KASPI_MODE: 'live', KASPI_ALLOWED_IPS: '203.0.113.7', TRUST_PROXY: 'true' },
    'TRUST_PROXY', /^TRUST_PROXY: must not be true when KASPI_MODE=live/, 'no spoofable client address for the channel')
  t.equal(loadConfig({ ...database, KASPI_MODE: 'live', KASPI_ALLOWED_IPS: '203.0.113.7', TRUST_PROXY: '1' }).trustProxy, 1,
    'a hop count is fine')
  const live = loadConfig({ ...database, KASPI_MODE: 'live', KASPI_ALLOWED_IPS: ' 203.0.113.7, 198.51.100.0/24 ,2001:DB8::/32,::ffff:192.0.2.1', KASPI_DEADLINE_MS: '8000' })
  t.same(live.kaspi, {
    mode: 'live', allowedIps: ['203.0.113.7/32', '198.51.100.0/24', '2001:db8::/32', '192.0.2.1/32'], rateLimitPerMinute: 6000, deadlineMs: 8000
  }, 'addresses and CIDRs, in canonical form')
  for (const bad of ['203.0.113', '203.0.113.0/33', '2001:db8::/129', '1.2.3.4/24/1', ',', '0x7f.0.0.1', '203.0.113.0/']) {
    refuses(t, { ...database, KASPI_MODE: 'live', KASPI_ALLOWED_IPS: bad }, 'KASPI_ALLOWED_IPS', null, `${JSON.stringify(bad)} is refused`)
  }
  refuses(t, { KASPI_MODE: 'on' }, 'KASPI_MODE', null, 'live, sandbox or off')
  refuses(t, { KASPI_DEADLINE_MS: '15000' }, 'KASPI_DEADLINE_MS', null, 'an answer after Kaspi stopped waiting is no answer')
  t.equal(loadConfig({ KASPI_MODE: 'off', KASPI_ALLOWED_IPS: '203.0.113.7' }).kaspi.mode, 'off', 'off with an allowlist kept: fine')
})

t.test('NODE_ENV=production is a deployment, as DATABASE_URL is', async (t) => {
  const production = { NODE_ENV: 'production' }
  refuses(t, production, 'DATABASE_URL', /^DATABASE_URL: is required when NODE_ENV=production: the embedded Postgres/,
    'never the embedded Postgres: its data and generated PII keys would live and die with one container')
  const database = { ...production, ...DATABASE }
  refuses(t, database, 'BANK_MODE', /^BANK_MODE: is required when DATABASE_URL is set/, 'no sandbox bank by default')
  refuses(t, { ...database, BANK_MODE: 'sandbox' }, 'MAIL_MODE', null, 'nor the public sandbox mailbox')
  refuses(t, { ...database, BANK_MODE: 'sandbox', MAIL_MODE: 'sandbox' }, 'METRICS_TOKEN', null, 'nor an open /metrics')
  const staging = loadConfig({ ...database, BANK_MODE: 'sandbox', MAIL_MODE: 'sandbox', METRICS_PUBLIC: 'true' })
  t.equal(staging.deployed, true)
  t.equal(staging.webhooks.allowPrivateUrls, false, 'nor webhooks to this network')
  t.equal(loadConfig({}).deployed, false, 'a developer machine is no deployment')
  t.equal(loadConfig({ NODE_ENV: 'development' }).deployed, false, 'nor is any NODE_ENV but production')
  t.equal(loadConfig({ NODE_ENV: 'development' }).bank.mode, 'sandbox')
})

t.test('/metrics is guarded in a deployment: METRICS_TOKEN, or METRICS_PUBLIC=true said out loud', async (t) => {
  const deployment = { ...DATABASE, BANK_MODE: 'sandbox', MAIL_MODE: 'sandbox' }
  const TOKEN = 'metrics-token-0123456789'
  refuses(t, deployment, 'METRICS_TOKEN', /^METRICS_TOKEN: is required when DATABASE_URL is set.*METRICS_PUBLIC=true/,
    'no silent open /metrics')
  refuses(t, { ...deployment, METRICS_PUBLIC: 'false' }, 'METRICS_TOKEN', null, 'closed, and no token to open it')
  t.equal(loadConfig({ ...deployment, METRICS_TOKEN: TOKEN }).metricsToken, TOKEN, 'a token guards it')
  t.equal(loadConfig({ ...deployment, METRICS_PUBLIC: 'true' }).metricsToken, null, 'METRICS_PUBLIC=true: open')
  refuses(t, { ...deployment, METRICS_TOKEN: TOKEN, METRICS_PUBLIC: 'true' }, 'METRICS_PUBLIC',
    /^METRICS_PUBLIC: must not be true when METRICS_TOKEN is set/, 'open and guarded at once is no choice')
  t.equal(loadConfig({}).metricsToken, null, 'a developer machine\'s /metrics is open')
  t.equal(loadConfig({ METRICS_TOKEN: TOKEN }).metricsToken, TOKEN, 'or guarded when asked')
  refuses(t, { METRICS_PUBLIC: 'false' }, 'METRICS_TOKEN', /^METRICS_TOKEN: is required when METRICS_PUBLIC=false/,
    'closed on a developer machine needs a token too')
})

t.test('migrations run as the owner: MIGRATION_DATABASE_URL, by default DATABASE_URL', async (t) => {
  const database = { DATABASE_URL: 'postgres://service:s@db/payments', PII_ENCRYPTION_KEY: KEY, PII_INDEX_KEY: KEY }
  const modes = { BANK_MODE: 'sandbox', MAIL_MODE: 'sandbox', METRICS_PUBLIC: 'true' }
  t.equal(loadConfig({}).migrationDatabaseUrl, null, 'embedded: the embedded database\'s superuser migrates')
  t.equal(loadConfig({ ...database, ...modes }).migrationDatabaseUrl, 'postgres://service:s@db/payments',
    'one URL: the same role migrates and serves (as before)')
  const both = loadConfig({ ...database, ...modes, MIGRATION_DATABASE_URL: 'postgresql://owner:o@db/payments' })
  t.match(both, {
    databaseUrl: 'postgres://service:s@db/payments',
    migrationDatabaseUrl: 'postgresql://owner:o@db/payments'
  })
  t.throws(() => loadConfig({ MIGRATION_DATABASE_URL: 'postgres://owner:o@db/payments' }),
    {
      name: 'Error',
      variable: 'MIGRATION_DATABASE_URL',
      message: /^MIGRATION_DATABASE_URL: is set without DATABASE_URL/
    },
    'never half a deployment: the owner\'s URL alone would leave the service on the embedded database')
  for (const variable of ['DATABASE_URL', 'MIGRATION_DATABASE_URL']) {
    try {
      loadConfig({ ...database, ...modes, [variable]: 'mysql://owner:hunter2@db/payments' })
      t.fail(`accepted a malformed ${variable}`)
    } catch (err) {
      t.ok(err instanceof ConfigError && err.variable === variable && !err.message.includes('hunter2'),
        `${variable} names itself, and its password is never echoed`)
    }
  }
})

t.test('a production-like start without BANK_MODE stops with one line naming it', async (t) => {
  const result = await new Promise<{ code: number | null, stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, 'src/server.ts'], {
      env: { PATH: process.env.PATH, DATABASE_URL: 'postgres://nobody:x@127.0.0.1:1/none', PII_ENCRYPTION_KEY: KEY, PII_INDEX_KEY: KEY },
      stdio: ['ignore', 'ignore', 'pipe']
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    child.on('exit', (code) => { resolve({ code, stderr }) })
  })
  t.not(result.code, 0)
  t.match(result.stderr, /^Configuration error: BANK_MODE: is required when DATABASE_URL is set.*\n$/)
  t.equal(result.stderr.trim().split('\n').length, 1, 'one line')
})

t.test('a production process without DATABASE_URL stops with one line naming it, before any database', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'debt-payments-production-'))
  t.teardown(() => { rmSync(dataDir, { recursive: true, force: true }) })
  const result = await new Promise<{ code: number | null, stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, 'src/server.ts'], {
      env: { PATH: process.env.PATH, NODE_ENV: 'production', DATA_DIR: dataDir },
      stdio: ['ignore', 'ignore', 'pipe']
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    child.on('exit', (code) => { resolve({ code, stderr }) })
  })
  t.not(result.code, 0)
  t.match(result.stderr, /^Configuration error: DATABASE_URL: is required when NODE_ENV=production.*\n$/)
  t.equal(result.stderr.trim().split('\n').length, 1, 'one line')
  t.same(readdirSync(dataDir), [], 'no embedded Postgres, no generated keys')
})

t.test('the process refuses to start on a bad value, with one line naming it', async (t) => {
  const result = await new Promise<{ code: number | null, stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, 'src/server.ts'], { env: { PATH: process.env.PATH, PORT: 'not-a-port' }, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    child.on('exit', (code) => { resolve({ code, stderr }) })
  })
  t.not(result.code, 0)
  t.match(result.stderr, /^Configuration error: PORT: .*\n$/)
  t.equal(result.stderr.trim().split('\n').length, 1, 'one line')
})

t.test('X-Forwarded-For is believed only from configured proxies', async (t) => {
  t.equal(loadConfig({}).trustProxy, false)
  t.equal(loadConfig({ TRUST_PROXY: 'true' }).trustProxy, true)
  t.equal(loadConfig({ TRUST_PROXY: '1' }).trustProxy, 1)
  t.equal(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy, '10.0.0.0/8,127.0.0.1')
  t.throws(() => loadConfig({ TRUST_PROXY: 'everyone' }), { message: /^TRUST_PROXY: / })
})
