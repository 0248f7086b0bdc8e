import { existsSync, readFileSync, statSync } from 'node:fs'
import t from 'tap'
import { parse } from 'yaml'
import { loadConfig } from '../src/config.js'
import { SERVICE_ROLE } from '../src/db/service-role.js'

/**
 * Docker cannot run on these machines, so the deployment files are read
 * the way Docker would read them and their references checked: every
 * service the others name exists, the worker reaches the sandbox bank
 * through the api by service name and port, both roles see PUBLIC_BASE_URL,
 * the optional Prometheus mounts files that exist and scrapes services that
 * exist, the owner migrates while the services connect as a login that owns
 * nothing, and the image's documented CLIs run compiled code.
 */
// merge keys (<<: *app) as Compose applies them
const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as { services: Record<string, any>, volumes?: Record<string, unknown> }
const services = compose.services

t.test('the services name each other correctly', async (t) => {
  t.same(Object.keys(services).sort(), ['alertmanager', 'api', 'grafana', 'postgres', 'prometheus', 'proxy', 'worker'])
  for (const [name, service] of Object.entries(services)) {
    const dependsOn = Array.isArray(service.depends_on)
      ? Object.fromEntries(service.depends_on.map((d: string) => [d, {}]))
      : service.depends_on ?? {}
    for (const dependency of Object.keys(dependsOn)) {
      t.ok(dependency in services, `${name} depends on ${dependency}, which exists`)
    }
    for (const volume of service.volumes ?? []) {
      const source = String(volume).split(':')[0] as string
      if (source.startsWith('./')) t.ok(existsSync(source), `${name} mounts ${source}, which exists`)
      else t.ok(compose.volumes !== undefined && source in compose.volumes, `${name}'s volume ${source} is declared`)
    }
  }
  t.match(services.api.environment.DATABASE_URL, /@postgres:5432\//, 'the api reaches postgres by service name')
  t.match(services.worker.environment.DATABASE_URL, /@postgres:5432\//)
})

t.test('the worker reaches the sandbox bank through the api', async (t) => {
  const bank = String(services.worker.environment.BANK_BASE_URL)
  const sandbox = /^\$\{BANK_BASE_URL:-(http:\/\/([a-z]+):(\d+)\/sandbox\/bank)\}$/.exec(bank)
  t.ok(sandbox !== null, 'BANK_BASE_URL from .env (live), else the api\'s sandbox')
  t.equal(sandbox?.[2], 'api', 'by the api\'s service name')
  t.equal(sandbox?.[3], String(services.api.expose[0]), 'on the port the api listens on')
  t.equal(services.api.environment.ROLE, 'api', 'and the api mounts the sandbox bank (it is not a worker)')
})

t.test('both roles read the same .env, PUBLIC_BASE_URL included', async (t) => {
  t.equal(services.api.env_file, '.env')
  t.equal(services.worker.env_file, '.env')
  const example = readFileSync('.env.example', 'utf8')
  const documented = ['PUBLIC_BASE_URL', 'BANK_MODE', 'MAIL_MODE', 'METRICS_TOKEN', 'METRICS_PUBLIC', 'NODE_ENV',
    'POSTGRES_PASSWORD']
  for (const name of documented) t.match(example, new RegExp(`^#? ?${name}=`, 'm'), `.env.example documents ${name}`)
  t.match(readFileSync('docker-compose.yml', 'utf8'), /PUBLIC_BASE_URL \(in \.env, read by both services\)/)
})

/** The uncommented KEY=value lines of .env.example, as Compose's env_file reads them. */
function exampleEnv (): Record<string, string> {
  const lines = readFileSync('.env.example', 'utf8').split('\n')
  return Object.fromEntries(lines.flatMap((line) => {
    const pair = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line)
    return pair === null ? [] : [[pair[1] as string, pair[2] as string]]
  }))
}

t.test('what ships is a deployment: production, modes given, /metrics guarded once filled in', async (t) => {
  const dockerfile = readFileSync('Dockerfile', 'utf8')
  const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'))
  t.match(runtime, /^ENV NODE_ENV=production\b/m, 'the image runs as production')
  for (const role of ['api', 'worker']) {
    t.equal(services[role].environment.NODE_ENV, 'production', `so does compose's ${role}, whatever .env says`)
  }
  const example = exampleEnv()
  t.match(example, { BANK_MODE: 'live', MAIL_MODE: 'smtp' }, '.env.example gives the modes')
  t.equal(example.METRICS_TOKEN, '', 'and leaves METRICS_TOKEN to fill in, beside the other secrets')
  t.notOk('METRICS_PUBLIC' in example, 'never an open /metrics by default')
  const key = Buffer.alloc(32, 7).toString('base64')
  const filled = {
    ...example,
    NODE_ENV: 'production',
    // compose builds it from POSTGRES_SERVICE_* when .env leaves it out
    DATABASE_URL: example.DATABASE_URL ?? 'postgres://debt_payments_app:secret@postgres:5432/debt_payments',
    PII_ENCRYPTION_KEY: key,
    PII_INDEX_KEY: Buffer.alloc(32, 8).toString('base64'),
    ADMIN_API_KEY: 'a'.repeat(43),
    BANK_BASE_URL: 'https://api.freedompay.kz',
    BANK_MERCHANT_ID: '545',
    BANK_SECRET_KEY: 'bank-secret',
    SMTP_URL: 'smtps://user:password@smtp.example.kz:465',
    MAIL_FROM: 'noreply@explus.kz'
  }
  t.throws(() => loadConfig(filled), { variable: 'METRICS_TOKEN', message: /^METRICS_TOKEN: is required/ },
    'METRICS_TOKEN left empty stops the start, naming it')
  const token = 'metrics-token-0123456789'
  const config = loadConfig({ ...filled, METRICS_TOKEN: token })
  t.match(config, { deployed: true, bank: { mode: 'live' }, mail: { mode: 'smtp' }, metricsToken: token })
  t.equal(config.webhooks.allowPrivateUrls, false, 'and webhooks reach public addresses only')
})

t.test('the owner migrates; the api and the worker connect as a login that owns nothing', async (t) => {
  const database = services.postgres.environment
  for (const name of ['POSTGRES_SERVICE_USER', 'POSTGRES_SERVICE_PASSWORD']) {
    t.equal(database[name], `\${${name}:?set ${name} in .env}`, `the postgres container requires ${name}`)
  }
  const init = (services.postgres.volumes as string[]).map((v) => v.split(':'))
    .find(([, target]) => target?.startsWith('/docker-entrypoint-initdb.d/'))
  t.match(init, ['./src/db/ops/create-service-role.sh', /\.sh$/, 'ro'], 'an init script makes the login at first start')
  const script = String(init?.[0])
  t.ok((statSync(script).mode & 0o111) !== 0, 'executable: the image runs it (a script it sources shares its shell)')
  const text = readFileSync(script, 'utf8')
  t.match(text, new RegExp(`create role ${SERVICE_ROLE} nologin`), `it creates the group role ${SERVICE_ROLE}`)
  t.match(text, new RegExp(`grant ${SERVICE_ROLE} to :"service_user"`), 'and makes the login a member')
  t.match(text, /-v service_user="\$POSTGRES_SERVICE_USER" -v service_password="\$POSTGRES_SERVICE_PASSWORD"/)

  const service = '${POSTGRES_SERVICE_USER}:${POSTGRES_SERVICE_PASSWORD}@postgres:5432/${POSTGRES_DB}'
  const owner = '${POSTGRES_USER}:${POSTGRES_PASSWORD}@postgres:5432/${POSTGRES_DB}'
  const api = services.api.environment
  t.equal(api.DATABASE_URL, `\${DATABASE_URL:-postgres://${service}}`, 'the api serves as the login')
  t.equal(api.MIGRATION_DATABASE_URL, `\${MIGRATION_DATABASE_URL:-postgres://${owner}}`,
    'and migrates as the owner (at start, and `docker compose run --rm api npm run migrate`)')
  t.match(readFileSync('Dockerfile', 'utf8'), /docker compose run --rm api npm run migrate/)
  t.equal(services.worker.environment.DATABASE_URL, `\${DATABASE_URL:-postgres://${service}}`, 'the worker too')
  t.equal(services.worker.environment.MIGRATE_ON_START, 'false')
  t.equal(services.worker.environment.MIGRATION_DATABASE_URL, '', 'and it holds no owner\'s URL')
  const example = readFileSync('.env.example', 'utf8')
  for (const name of ['POSTGRES_SERVICE_USER', 'POSTGRES_SERVICE_PASSWORD', 'DATABASE_URL', 'MIGRATION_DATABASE_URL']) {
    t.match(example, new RegExp(`^#? ?${name}=`, 'm'), `.env.example documents ${name}`)
  }
})

/** Where compose mounts a file of the repository in a service: the target path, or undefined. */
function mountOf (service: string, file: string): string | undefined {
  return (services[service].volumes as string[]).map((v) => v.split(':')).find(([source]) => source === file)?.[1]
}

t.test('only the TLS proxy is published; it reaches the api by service name', async (t) => {
  for (const [name, service] of Object.entries(services)) {
    if (name !== 'proxy') t.notOk('ports' in service, `${name} publishes no port`)
  }
  t.same(services.proxy.ports, ['80:80', '443:443', '443:443/udp'], 'the proxy publishes 80 and 443')
  t.equal(mountOf('proxy', './deploy/Caddyfile'), '/etc/caddy/Caddyfile')
  const caddyfile = readFileSync('deploy/Caddyfile', 'utf8')
  t.match(caddyfile, new RegExp(`reverse_proxy api:${String(services.api.expose[0])} `), 'to the port the api exposes')
  t.match(caddyfile, /reverse_proxy grafana:3000\b/)
  for (const name of [...caddyfile.matchAll(/\{\$([A-Z_]+)\}/g)].map((m) => m[1] as string)) {
    t.equal(services.proxy.environment[name], `\${${name}:?set ${name} in .env}`, `the proxy requires ${name}`)
    t.match(readFileSync('.env.example', 'utf8'), new RegExp(`^${name}=`, 'm'), `.env.example gives ${name}`)
  }
  t.match(caddyfile, /@metrics path \/metrics \/metrics\/\*\n\s+respond @metrics 404/, '/metrics stays inside')
  t.equal(services.api.environment.TRUST_PROXY, '1', 'the api trusts the one hop in front of it')
})

interface AlertRule { alert: string, expr: string, labels: { severity: string }, annotations: Record<string, string> }
const rules = (parse(readFileSync('src/modules/metrics/ops/prometheus-alerts.yml', 'utf8')) as { groups: Array<{ rules: AlertRule[] }> })
  .groups.flatMap((g) => g.rules)

/** GitHub's anchors of the runbook's headings (test/docs.test.ts reads them the same way). */
const runbookAnchors = new Set(readFileSync('docs/operations.md', 'utf8').split('\n')
  .filter((line) => /^#{1,6} /.test(line))
  .map((line) => line.replace(/^#+ /, '').trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-')))

t.test('every alert rule has a runbook section', async (t) => {
  for (const rule of rules) {
    const anchor = /^docs\/operations\.md#([a-z0-9-]+)$/.exec(rule.annotations.runbook_url ?? '')?.[1]
    t.ok(anchor !== undefined && runbookAnchors.has(anchor), `${rule.alert}: runbook_url ${rule.annotations.runbook_url} names a section of docs/operations.md`)
    t.ok(['page', 'ticket'].includes(rule.labels.severity), `${rule.alert} pages or files a ticket`)
    t.ok(rule.annotations.summary, `${rule.alert} has a summary`)
  }
  const alerts = rules.map((r) => r.alert)
  for (const alert of ['HttpErrorRate', 'InstanceDown', 'PaymentsFlaggedForReview', 'BankCallbacksRefused', 'SettlementsOverdue']) {
    t.ok(alerts.includes(alert), `alert ${alert}`)
  }
  t.match(rules.find((r) => r.alert === 'InstanceDown')?.expr, /^up\{job="debt-payments"\} == 0$/, 'on the scrape job below')
})

t.test('Prometheus scrapes both roles, loads the alert rules and sends them to Alertmanager', async (t) => {
  const prometheus = parse(readFileSync('src/modules/metrics/ops/prometheus.yml', 'utf8')) as Record<string, any>
  t.equal(mountOf('prometheus', './src/modules/metrics/ops/prometheus.yml'), '/etc/prometheus/prometheus.yml')
  t.ok((services.prometheus.command as string[]).includes('--config.file=/etc/prometheus/prometheus.yml'))
  const targets: string[] = prometheus.scrape_configs[0].static_configs[0].targets
  t.same(targets.map((target) => target.split(':')[0]).sort(), ['api', 'worker'])
  t.equal(prometheus.scrape_configs[0].job_name, 'debt-payments')
  t.equal(prometheus.scrape_configs[0].metrics_path, '/metrics')
  t.same(prometheus.rule_files, [mountOf('prometheus', './src/modules/metrics/ops/prometheus-alerts.yml')],
    'the rules file, where compose mounts it')
  t.equal(prometheus.scrape_configs[0].authorization.credentials_file, '/run/secrets/metrics_token', 'with METRICS_TOKEN')
  t.same(services.prometheus.secrets, ['metrics_token'])
  t.same((compose as any).secrets.metrics_token, { environment: 'METRICS_TOKEN' })
  t.same(prometheus.alerting.alertmanagers[0].static_configs[0].targets, ['alertmanager:9093'], 'alerts go to Alertmanager')
  t.equal(mountOf('alertmanager', './src/modules/metrics/ops/alertmanager.yml'), '/etc/alertmanager/alertmanager.yml')
  t.ok((services.alertmanager.command as string[]).includes('--config.file=/etc/alertmanager/alertmanager.yml'))
  const alertmanager = parse(readFileSync('src/modules/metrics/ops/alertmanager.yml', 'utf8')) as Record<string, any>
  const receivers = new Set((alertmanager.receivers as Array<{ name: string }>).map((r) => r.name))
  for (const route of [alertmanager.route, ...(alertmanager.route.routes ?? [])]) {
    t.ok(receivers.has(route.receiver), `route to ${route.receiver as string}, a receiver that exists`)
  }
})

t.test('Grafana is provisioned with the data source and the dashboard that exist', async (t) => {
  const datasources = parse(readFileSync('src/modules/metrics/ops/grafana/datasources.yml', 'utf8')) as Record<string, any>
  t.match(datasources.datasources, [{ type: 'prometheus', url: 'http://prometheus:9090', isDefault: true }])
  t.equal(mountOf('grafana', './src/modules/metrics/ops/grafana/datasources.yml'), '/etc/grafana/provisioning/datasources/debt-payments.yml')
  const dashboards = parse(readFileSync('src/modules/metrics/ops/grafana/dashboards.yml', 'utf8')) as Record<string, any>
  t.equal(mountOf('grafana', './src/modules/metrics/ops/grafana/dashboards.yml'), '/etc/grafana/provisioning/dashboards/debt-payments.yml')
  const mounted = mountOf('grafana', './src/modules/metrics/ops/grafana-dashboard.json')
  t.equal(mounted?.slice(0, mounted.lastIndexOf('/')), dashboards.providers[0].options.path, 'the dashboard is in the provider\'s folder')
  t.match(services.grafana.environment.GF_SECURITY_ADMIN_PASSWORD, /^\$\{GRAFANA_ADMIN_PASSWORD:\?/, 'behind a password')
  const dashboard = JSON.parse(readFileSync('src/modules/metrics/ops/grafana-dashboard.json', 'utf8')) as { panels: Array<{ targets: Array<{ expr: string }> }> }
  t.ok(dashboard.panels.length >= 10, 'a Grafana dashboard')
})

t.test('the image runs its documented CLIs as compiled code', async (t) => {
  const dockerfile = readFileSync('Dockerfile', 'utf8')
  const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'))
  for (const [script, file] of [['start', 'server'], ['migrate', 'db/migrate-cli'], ['api-key', 'api-key-cli'],
    ['pii:rotate', 'pii-rotate-cli']]) {
    t.match(runtime, new RegExp(`scripts\\.${script}="node dist/src/${file}\\.js"`), `npm run ${script} runs dist/src/${file}.js`)
    t.ok(existsSync(`src/${file as string}.ts`), `which the build compiles from src/${file as string}.ts`)
  }
  t.match(runtime, /--omit=optional/, 'the image leaves esbuild\'s binary out, so nothing there may need tsx')
})
