import t from 'tap'
import { spawn } from 'node:child_process'
import { createTestApp } from './helpers/app.js'

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
