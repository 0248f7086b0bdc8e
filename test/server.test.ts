import t from 'tap'
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { connect } from 'node:net'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { freePort } from '../src/lib/free-port.js'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fallbackBaseDir, reachableByOtherUsers } from '../src/db/embedded.js'
import { eventually } from './helpers/app.js'

/**
 * The real process, as `npm start` runs it on a machine without Postgres:
 * embedded database, migrations, listen, graceful stop, and a restart that
 * finds the data again.
 */
const ADMIN_KEY = 'restart-test-admin-key-0123456789abcdef'
const ROTATED_ADMIN_KEY = 'restart-test-rotated-admin-key-0123456789'

async function startServer (env: Record<string, string>): Promise<{ child: ChildProcess, output: () => string }> {
  const { DATABASE_URL: _ignored, TEST_DATABASE_URL: _also, ...inherited } = process.env
  const child = spawn(process.execPath, [...process.execArgv, 'src/server.ts'], { env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (output.includes('listening on')) { clearInterval(timer); resolve() }
    }, 100)
    child.on('exit', (code) => { clearInterval(timer); reject(new Error(`server exited with ${code}: ${output}`)) })
  })
  return { child, output: () => output }
}

async function stopServer (child: ChildProcess): Promise<number | null> {
  return await new Promise((resolve) => {
    child.on('exit', (code) => { resolve(code) })
    child.kill('SIGTERM')
  })
}

t.test('a restart reuses the data: a published offer is still current', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'debt-payments-server-'))
  chmodSync(dataDir, 0o755)
  t.teardown(() => { rmSync(dataDir, { recursive: true, force: true }) })
  const port = String(await freePort())
  const env = { DATA_DIR: dataDir, PORT: port, ADMIN_API_KEY: ADMIN_KEY, LOG_LEVEL: 'info' }
  const base = `http://127.0.0.1:${port}`

  const first = await startServer(env)
  t.match(first.output(), `listening on ${base}`, 'prints the URL')
  t.equal((await fetch(`${base}/health/ready`)).status, 200)
  t.match(first.output(), 'the service connects to Postgres as debt_payments_app, which owns no table',
    'the owner (the embedded superuser) migrated; the service serves as a login that owns nothing (DESIGN 16)')
  t.match(first.output(), `MAIL_MODE=sandbox: no email leaves this machine; messages are kept in the development mailbox at ${base}/sandbox/mailbox`, 'the sandbox mailbox says so in the log')
  t.same(await (await fetch(`${base}/sandbox/mailbox`)).json(), { messages: [] }, 'and is there on a fresh machine')
  t.match(first.output(), `KASPI_MODE=sandbox: the Kaspi sandbox plays the Kaspi app against GET /v1/channels/kaspi at ${base}/sandbox/kaspi/payments`,
    'so does the Kaspi sandbox')
  const played = await fetch(`${base}/sandbox/kaspi/payments`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ account: '12345678903', amount: 100 })
  })
  t.match(await played.json(), { check: { result: 1 }, pay: null }, 'which reaches the channel over real HTTP on a fresh machine')
  const published = await fetch(`${base}/v1/admin/offers`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ language: 'ru', title: 'Редакция 2', text: 'Текст второй редакции' })
  })
  t.equal(published.status, 201)
  t.equal(await stopServer(first.child), 0, 'a graceful stop exits 0')
  const shutdown = first.output().slice(first.output().indexOf('shutting down'))
  t.notMatch(shutdown, /"level":(50|60)/, 'and logs no error: Postgres stops last, after the pools')
  t.notMatch(shutdown, /connection lost/, 'nor a lost connection: the pools\' connections have closed before Postgres stops')
  t.ok(existsSync(join(dataDir, 'keys.json')), 'PII keys were generated into DATA_DIR')
  t.match(first.output(), /PII keys generated/, 'with a warning')
  // a data directory from before the service had a login of its own: one is made at the next start
  const credentials = join(dataDir, 'postgres-credentials.json')
  const { password } = JSON.parse(readFileSync(credentials, 'utf8')) as { password: string }
  writeFileSync(credentials, JSON.stringify({ password }))

  // and ADMIN_API_KEY rotated on the way: the new value's key replaces the old one
  const second = await startServer({ ...env, ADMIN_API_KEY: ROTATED_ADMIN_KEY })
  t.match(second.output(), 'the service connects to Postgres as debt_payments_app, which owns no table')
  t.teardown(async () => { if (second.child.exitCode === null) await stopServer(second.child) })
  const current = await (await fetch(`${base}/v1/offer`)).json() as { version: number, title: string }
  t.equal(current.version, 2)
  t.equal(current.title, 'Редакция 2')
  t.notMatch(second.output(), /PII keys generated/, 'the same keys are reused')
  const asAdmin = async (key: string): Promise<number> =>
    (await fetch(`${base}/v1/admin/api-keys`, { headers: { authorization: `Bearer ${key}` } })).status
  t.equal(await asAdmin(ADMIN_KEY), 401, 'the old ADMIN_API_KEY is revoked')
  t.equal(await asAdmin(ROTATED_ADMIN_KEY), 200, 'the new one works')
  t.match(second.output(), /ADMIN_API_KEY changed: the previous key is revoked/, 'and the log says so')
  t.equal(await stopServer(second.child), 0)
})

t.test('a data directory the postgres user cannot reach is noticed', async (t) => {
  const parent = mkdtempSync(join(tmpdir(), 'debt-payments-private-'))
  t.teardown(() => { rmSync(parent, { recursive: true, force: true }) })
  const inside = join(parent, 'data')
  mkdirSync(inside)
  chmodSync(parent, 0o700)
  t.equal(reachableByOtherUsers(inside), process.getuid?.() !== 0, 'as root, a 0700 parent blocks the postgres user')
  chmodSync(parent, 0o755)
  t.equal(reachableByOtherUsers(inside), true)
  t.equal(fallbackBaseDir(inside), fallbackBaseDir(inside), 'the fallback is stable across restarts')
  t.ok(fallbackBaseDir(inside).startsWith(tmpdir()))
})

/** This process's environment without a database: the embedded one is started. */
function withoutDatabase (): NodeJS.ProcessEnv {
  const { DATABASE_URL: _ignored, TEST_DATABASE_URL: _also, ...inherited } = process.env
  return inherited
}

/** Alive, as another user too (the postgres user when the tests run as root). */
function alive (pid: number): boolean {
  try { process.kill(pid, 0); return true } catch (error) { return (error as NodeJS.ErrnoException).code === 'EPERM' }
}

async function portOpen (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' })
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => { resolve(false) })
  })
}

interface NpmStart {
  npm: ChildProcess
  server: number
  postmaster: number
  exited: Promise<number | null>
  output: () => string
}

/** `npm start` exactly as package.json has it, ready once /health/ready answers 200. */
async function npmStart (env: Record<string, string>, dataDir: string, port: number): Promise<NpmStart> {
  const npm = spawn('npm', ['start'], { env: { ...withoutDatabase(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  npm.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  npm.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise<number | null>((resolve) => { npm.on('exit', (code) => { resolve(code) }) })
  await eventually(async () => {
    if (npm.exitCode !== null) throw new Error(`npm start exited with ${npm.exitCode}: ${output}`)
    return await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.status === 200, () => false)
  }, 120_000)
  const children = execFileSync('pgrep', ['-P', String(npm.pid)], { encoding: 'utf8' }).trim().split('\n')
  const postmaster = Number(readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0])
  return { npm, server: Number(children[0]), postmaster, exited, output: () => output }
}

t.test('npm start is one process: SIGTERM and SIGINT to npm stop the server and Postgres, nothing left', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'debt-payments-npm-start-'))
  chmodSync(dataDir, 0o755)
  t.teardown(() => { rmSync(dataDir, { recursive: true, force: true }) })
  const port = await freePort()
  const env = { DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'info' }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const started = await npmStart(env, dataDir, port)
    t.teardown(() => { for (const pid of [started.server, started.npm.pid]) if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGKILL') })
    const command = readFileSync(`/proc/${started.server}/cmdline`, 'utf8').split('\0').join(' ')
    t.match(command, /src\/server\.ts/, `${signal}: npm's one child is the server itself, no shell or tsx between`)
    // the embedded Postgres is the server's own child (a short-lived helper of its start may be exiting beside it)
    const children = execFileSync('pgrep', ['-P', String(started.server)], { encoding: 'utf8' }).trim().split('\n')
    const described = children.map((pid) => {
      try { return `${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ')}` } catch { return `${pid}: gone` }
    })
    t.ok(children.includes(String(started.postmaster)), `whose child is the embedded Postgres (${described.join('; ')})`)
    t.match(started.output(), /sandbox bank at http:\/\/127\.0\.0\.1:\d+\/sandbox\/bank: pay with the test card 4111 1111 1111 1111 \(approved\)/,
      'the start announces the sandbox bank and its test cards')
    t.match(started.output(), /"msg":"Swagger UI: http:\/\/127\.0\.0\.1:\d+\/docs/, 'where Swagger UI is, as JSON off a terminal')

    if (signal === 'SIGTERM') {
      // a second start on the same data directory says so plainly
      const second = spawn(process.execPath, [...process.execArgv, 'src/server.ts'], {
        env: { ...withoutDatabase(), ...env, PORT: String(await freePort()) }, stdio: ['ignore', 'pipe', 'pipe']
      })
      let output = ''
      second.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString() })
      second.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString() })
      const code = await new Promise<number | null>((resolve) => { second.on('exit', (c) => { resolve(c) }) })
      t.equal(code, 1, 'the second start exits 1')
      t.match(output, `the data directory ${dataDir} (DATA_DIR) is in use by another process (pid ${started.server}): ` +
        'stop it or set DATA_DIR', 'naming the first server\'s pid')
      t.notMatch(output, /did not start/)
      t.equal((await fetch(`http://127.0.0.1:${port}/health/ready`)).status, 200, 'and the first one serves on')
    }

    started.npm.kill(signal)
    t.equal(await started.exited, 0, `${signal} to npm: it exits 0`)
    const lines = started.output().split('\n')
    const shutdown = lines.slice(lines.findIndex((line) => line.includes('shutting down'))).join('\n')
    t.match(shutdown, `"signal":"${signal}"`, 'the server got the signal once, through npm')
    t.notMatch(shutdown, /"level":(50|60)/, 'and stopped without an error (not the forced path)')
    await eventually(async () => !alive(started.server) && !alive(started.postmaster), 10_000)
    t.pass('neither the server nor Postgres is left running')
    t.equal(await portOpen(port), false, 'the port is closed')
    t.equal(existsSync(join(dataDir, 'postgres', 'postmaster.pid')), false, 'Postgres removed its postmaster.pid')
  }
})
