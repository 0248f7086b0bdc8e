import t from 'tap'
import { connect, type Socket } from 'node:net'
import { createListeningApp } from '../helpers/payments.js'
import { loadConfig } from '../../src/config.js'

/**
 * Connections are bounded (DESIGN 22): idle connections once held every descriptor the process could open, and the
 * API, its probes and the reconciliation job (EMFILE) went silent for as long as they were held.
 */
const IDLE = 300

/** A connection that sends nothing, and a promise of its closing (by the server: we never close it). */
function idleConnection (base: string): { socket: Socket, closed: Promise<void> } {
  const url = new URL(base)
  const socket = connect(Number(url.port), url.hostname)
  socket.on('error', () => {})
  const closed = new Promise<void>((resolve) => { socket.on('close', () => { resolve() }) })
  return { socket, closed }
}

t.test('HTTP_IDLE_TIMEOUT_MS and HTTP_MAX_CONNECTIONS: defaults and bounds', async (t) => {
  const defaults = loadConfig({})
  t.match(defaults.http, { idleTimeoutMs: 30_000, maxConnections: 5000 })
  t.match(loadConfig({ HTTP_IDLE_TIMEOUT_MS: '5000', HTTP_MAX_CONNECTIONS: '100' }).http, { idleTimeoutMs: 5000, maxConnections: 100 })
  for (const variable of ['HTTP_IDLE_TIMEOUT_MS', 'HTTP_MAX_CONNECTIONS']) {
    t.throws(() => loadConfig({ [variable]: '0' }), { name: 'Error', variable, message: new RegExp(`^${variable}: `) })
  }
})

t.test('hundreds of connections that send nothing are closed, while other clients are served', async (t) => {
  const { app, base } = await createListeningApp(t, { HTTP_IDLE_TIMEOUT_MS: '1000' })
  t.equal(app.server.maxConnections, 5000)
  const idle = Array.from({ length: IDLE }, () => idleConnection(base))
  await Promise.all(idle.map(async ({ socket }) => { await new Promise<void>((resolve) => { socket.on('connect', resolve) }) }))
  // served while they are held
  for (let i = 0; i < 5; i++) {
    const live = await fetch(`${base}/health/live`)
    t.equal(live.status, 200, `a client is served while ${IDLE} idle connections are held`)
  }
  // each is closed by the server; a hang here is the bug (tap's own timeout ends the test)
  await Promise.all(idle.map(async ({ closed }) => { await closed }))
  t.ok(idle.every(({ socket }) => socket.destroyed), `all ${IDLE} idle connections were closed by the service`)
})

t.test('a kept-alive connection that goes quiet between requests is closed too', async (t) => {
  const { base } = await createListeningApp(t, { HTTP_IDLE_TIMEOUT_MS: '500' })
  const { socket, closed } = idleConnection(base)
  const url = new URL(base)
  let answer = ''
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => { answer += chunk })
  socket.write(`GET /health/live HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`)
  await closed
  t.match(answer, /^HTTP\/1\.1 200 /, 'the request was answered, keep-alive')
  t.match(answer, /keep-alive/i)
})

t.test('past HTTP_MAX_CONNECTIONS new connections are refused at accept; freed, they are served again', async (t) => {
  const { app, base } = await createListeningApp(t, { HTTP_IDLE_TIMEOUT_MS: '1500', HTTP_MAX_CONNECTIONS: '20' })
  t.equal(app.server.maxConnections, 20)
  const held = Array.from({ length: 20 }, () => idleConnection(base))
  await Promise.all(held.map(async ({ socket }) => { await new Promise<void>((resolve) => { socket.on('connect', resolve) }) }))
  // the server counts a connection once it accepted it: wait until it has all twenty
  const connectionCount = async (): Promise<number> => await new Promise((resolve) => {
    app.server.getConnections((_error, count) => { resolve(count) })
  })
  while (await connectionCount() < 20) {
    await new Promise((resolve) => setImmediate(resolve))
  }
  const dropped = new Promise<void>((resolve) => { app.server.once('drop', () => { resolve() }) })
  const beyond = idleConnection(base)
  // refused, it closes before any held one times out; served, it would be the last to close
  const first = await Promise.race([beyond.closed.then(() => 'beyond'), ...held.map(async ({ closed }) => await closed.then(() => 'held'))])
  t.equal(first, 'beyond', 'the 21st connection is closed at once')
  await dropped
  t.pass('the server dropped it at accept')
  await Promise.all(held.map(async ({ closed }) => { await closed }))
  const live = await fetch(`${base}/health/live`)
  t.equal(live.status, 200, 'once the idle ones are gone, clients are served again')
})
