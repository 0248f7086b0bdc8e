import t from 'tap'
import { spawn } from 'node:child_process'
import { createKey, createTestApp, createTestDatabase, eventually } from './helpers/app.js'
import { ADMIN_KEY, deploymentEnv, payAtBank, spawnService } from './helpers/processes.js'
import { iinCheckDigit } from '../src/lib/iin.js'

async function run (
  args: string[], env: Record<string, string>
): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return await new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString() })
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
    child.on('exit', (code) => { resolve({ code, stdout, stderr }) })
  })
}

t.test('npm run api-key creates a key that works against the same database', async (t) => {
  const { app, databaseUrl } = await createTestApp(t)
  const result = await run(['src/api-key-cli.ts', 'create', '--name', 'first admin', '--scopes', 'admin'], { DATABASE_URL: databaseUrl })
  t.equal(result.code, 0, result.stderr)
  const key = /^(kap_[A-Za-z0-9_-]{43})$/m.exec(result.stdout)?.[1]
  t.ok(key, 'prints the key once')
  const response = await app.inject({ method: 'GET', url: '/v1/admin/api-keys', headers: { authorization: `Bearer ${key}` } })
  t.equal(response.statusCode, 200)
  t.match(response.json().data, [{ name: 'first admin', scopes: ['admin'] }])
})

t.test('a wrong call explains itself', async (t) => {
  const result = await run(['src/api-key-cli.ts', 'create', '--name', 'x', '--scopes', 'root'], { DATABASE_URL: 'postgres://unused@127.0.0.1:1/x' })
  t.equal(result.code, 2)
  t.match(result.stderr, /unknown scope\(s\): root/)
})

const CLI = 'src/api-key-cli.ts'
const NO_DATABASE = { DATABASE_URL: 'postgres://unused@127.0.0.1:1/x' }

t.test('help, a bad flag, a missing argument, an unknown command: usage, never a stack trace', async (t) => {
  for (const help of [['--help'], ['-h'], ['help'], ['create', '--help']]) {
    const result = await run([CLI, ...help], NO_DATABASE)
    t.equal(result.code, 0, help.join(' '))
    t.match(result.stdout, /^usage: npm run api-key -- <command>/)
    t.match(result.stdout, /revoke <key_id>/)
    t.equal(result.stderr, '')
  }
  const wrong: Array<[string[], RegExp]> = [
    [['--bogus'], /Unknown option '--bogus'/],
    [['list', '--verbose'], /Unknown option '--verbose'/],
    [['create', '--name'], /argument missing/],
    [['create', '--scopes', 'admin'], /create needs --name/],
    [['revoke'], /revoke takes one key id/],
    [['frobnicate'], /unknown command: frobnicate/],
    [[], /a command is required/],
    [['create', '--name', 'x', '--scopes', 'admin', '--expires-at', 'soon'], /--expires-at: not a date/],
    [['create', '--name', 'x', '--scopes', 'admin', '--expires-at', '2020-01-01T00:00:00Z'], /must be in the future/],
    [['create', '--name', 'x', '--scopes', 'admin', '--allowed-ips', '10.0.0.0/33'], /not an address or CIDR: 10\.0\.0\.0\/33/]
  ]
  for (const [args, message] of wrong) {
    const result = await run([CLI, ...args], NO_DATABASE)
    t.equal(result.code, 2, args.join(' '))
    t.match(result.stderr, message)
    t.match(result.stderr, /usage: npm run api-key/)
    t.notMatch(result.stderr, /\n\s+at /, 'no stack trace')
    t.equal(result.stdout, '')
  }
})

t.test('create with an expiry and addresses, list, revoke: the revoked key gets 401 over HTTP', async (t) => {
  const { app, databaseUrl } = await createTestApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  const base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
  const env = { DATABASE_URL: databaseUrl }
  const expiresAt = new Date(Date.now() + 7 * 86_400_000).toISOString()
  const created = await run([CLI, 'create', '--name', 'ops robot', '--scopes', 'operator,admin', '--expires-at', expiresAt,
    '--allowed-ips', '127.0.0.1, 10.0.0.0/8'], env)
  t.equal(created.code, 0, created.stderr)
  t.match(created.stdout, `expiring ${expiresAt}, usable from 127.0.0.1/32, 10.0.0.0/8`)
  const key = /^(kap_[A-Za-z0-9_-]{43})$/m.exec(created.stdout)?.[1] as string
  const id = /Created API key (key_[0-9a-f]{32})/.exec(created.stdout)?.[1] as string
  const get = async (): Promise<number> =>
    (await fetch(`${base}/v1/admin/api-keys`, { headers: { authorization: `Bearer ${key}` } })).status
  t.equal(await get(), 200, 'it works from 127.0.0.1, within its allowlist')

  const listed = await run([CLI, 'list'], env)
  t.equal(listed.code, 0, listed.stderr)
  t.match(listed.stdout, new RegExp(`${id}  live\n  name:        ops robot\n`))
  t.match(listed.stdout, `  expires:     ${expiresAt}`)
  t.match(listed.stdout, '  allowed IPs: 127.0.0.1/32, 10.0.0.0/8')
  t.match(listed.stdout, / {2}last used: {3}\d{4}-/, 'when it was last used')
  t.notMatch(listed.stdout, key, 'never the key')
  t.notMatch(listed.stdout, key.slice(12), 'nor any part of it past the prefix')

  const revoked = await run([CLI, 'revoke', id], env)
  t.equal(revoked.code, 0, revoked.stderr)
  t.match(revoked.stdout, `Revoked API key ${id} named "ops robot"`)
  t.equal(await get(), 401, 'the revoked key is refused over HTTP')
  t.match((await run([CLI, 'list'], env)).stdout, new RegExp(`${id}  REVOKED`))
  const audit = await app.inject({ method: 'GET', url: `/v1/admin/audit-log?entityType=api_key&entityId=${id}`,
    headers: { authorization: (await createKey(app, ['admin'])).authorization } })
  t.match(audit.json().data, [{ action: 'api_key.revoked', requestId: 'cli' }, { action: 'api_key.created' }])

  const unknown = await run([CLI, 'revoke', 'key_00000000000000000000000000000000'], env)
  t.equal(unknown.code, 1)
  t.match(unknown.stderr, /No API key with this id/)
  t.notMatch(unknown.stderr, /\n\s+at /, 'no stack trace')
})

t.test('npm run migrate brings a database up to date and is idempotent', async (t) => {
  const { databaseUrl } = await createTestApp(t)
  const result = await run(['src/db/migrate-cli.ts'], { DATABASE_URL: databaseUrl })
  t.equal(result.code, 0, result.stderr)
  t.match(result.stdout, /already up to date/)
  const asOwner = await run(['src/db/migrate-cli.ts'], {
    DATABASE_URL: 'postgres://service:unused@127.0.0.1:1/none',
    MIGRATION_DATABASE_URL: databaseUrl
  })
  t.equal(asOwner.code, 0, 'it migrates as MIGRATION_DATABASE_URL, never as the service\'s DATABASE_URL')
  t.match(asOwner.stdout, /already up to date/)
})

t.test('npm run seed: a demo portfolio, then a payment on a seeded debt; a second run does nothing', async (t) => {
  const databaseUrl = await createTestDatabase(t)
  const env = deploymentEnv(databaseUrl)
  const seeded = await run(['src/seed-cli.ts'], { ...env, MIGRATE_ON_START: 'true' })
  t.equal(seeded.code, 0, seeded.stderr)
  t.match(seeded.stdout, /Demo portfolio created: 3 creditors, 12 debts \(4 paid at the sandbox bank, one of them refunded\)/)
  const key = /^(kap_[A-Za-z0-9_-]{43})$/m.exec(seeded.stdout)?.[1] as string
  t.ok(key, 'prints the operator key once')
  t.match(seeded.stdout, /curl -s -X POST http:\/\/127\.0\.0\.1:\d+\/v1\/debts\/lookup/, 'and the next steps')
  const rows = [...seeded.stdout.matchAll(/^ {2}(DEMO-\d{4}) {2}IIN (\d{12}) .* (unpaid|paid.*)$/gm)]
  t.equal(rows.length, 12)
  for (const row of rows) t.equal(iinCheckDigit((row[2] as string).slice(0, 11)), Number((row[2] as string)[11]), `${row[1]}: a valid IIN`)
  const unpaid = rows.find((row) => row[3] === 'unpaid') as RegExpMatchArray

  const service = await spawnService(t, 'api', env)
  const asOperator = { authorization: `Bearer ${key}` }
  const payments = await (await fetch(`${service.base}/v1/admin/payments?limit=100`, { headers: asOperator })).json() as
    { data: Array<{ status: string, refundedAmount: number }> }
  t.equal(payments.data.filter((p) => p.status === 'succeeded').length, 4, 'four payments made at the sandbox bank')
  t.equal(payments.data.filter((p) => p.refundedAmount > 0).length, 1, 'one of them refunded')
  const trial = await (await fetch(`${service.base}/v1/admin/ledger/trial-balance`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).json()
  t.match(trial, { total: 0, consistent: true }, 'through the ledger: the books balance')

  const paid = await payAtBank(service.base, { contract: unpaid[1] as string, iin: unpaid[2] as string, name: '', creditor: '', outstanding: '' }, 100_000)
  await eventually(async () => {
    const payment = await (await fetch(`${service.base}/v1/admin/payments/${paid.id}`, { headers: asOperator })).json() as { status: string }
    return payment.status === 'succeeded'
  })
  t.pass('a payer pays a seeded debt through the API')

  const again = await run(['src/seed-cli.ts'], env)
  t.equal(again.code, 0, again.stderr)
  t.match(again.stdout, /The demo portfolio is already there .*: nothing done/)
  const after = await (await fetch(`${service.base}/v1/admin/debts?limit=100`, { headers: asOperator })).json() as { data: unknown[] }
  t.equal(after.data.length, 12, 'nothing duplicated')
})

t.test('npm run seed explains itself', async (t) => {
  const help = await run(['src/seed-cli.ts', '--help'], {})
  t.equal(help.code, 0)
  t.match(help.stdout, /usage: npm run seed/)
  const wrong = await run(['src/seed-cli.ts', 'extra'], {})
  t.equal(wrong.code, 2)
  t.match(wrong.stderr, /unknown argument\(s\): extra/)
  const live = await run(['src/seed-cli.ts'], { DATABASE_URL: 'postgres://unused@127.0.0.1:1/x', BANK_MODE: 'live' })
  t.equal(live.code, 1)
  t.match(live.stderr, /BANK_MODE=sandbox|Configuration error/)
  // a shell whose DATABASE_URL reaches another database, BANK_MODE unset: refused before anything is opened
  const unset = await run(['src/seed-cli.ts'], { DATABASE_URL: 'postgres://unused@127.0.0.1:1/x', BANK_MODE: '' })
  t.equal(unset.code, 1)
  t.match(unset.stderr, /needs BANK_MODE=sandbox in its environment/)
})
