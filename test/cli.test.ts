import t from 'tap'
import { spawn } from 'node:child_process'
import { createTestApp, createTestDatabase, eventually } from './helpers/app.js'
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
})
