import t from 'tap'
import { connect, type Socket } from 'node:net'
import { sql } from 'kysely'
import type { FastifyInstance } from 'fastify'
import { createKey } from '../helpers/app.js'
import { createListeningApp, seedDebt } from '../helpers/payments.js'
import { HEADER, makeCsv, makeRow } from '../helpers/portfolio.js'
import { loadConfig } from '../../src/config.js'

/**
 * Slow clients cannot hold the service (DESIGN 16), over real HTTP. Ten imports trickling a byte every two seconds
 * once held every connection of the API's pool, and every route, readiness and the bank's callbacks answered 503;
 * and no request had a time limit. Now imports have a small pool of their own and a limit at once, request headers
 * and bodies have time limits, and an upload has a pace rather than a total, so a large file sent steadily gets
 * through while a trickle is cut.
 */

/** One HTTP/1.1 exchange on a socket of its own: what the client writes is up to the test. */
interface Exchange {
  socket: Socket
  /** Resolves when the server closed the connection (we never close it first), with what it sent. */
  closed: Promise<string>
  /** Resolves with the first bytes the server sends. */
  answered: Promise<void>
}

function exchange (base: string, head: string): Exchange {
  const url = new URL(base)
  const socket = connect(Number(url.port), url.hostname)
  socket.setEncoding('utf8')
  socket.on('error', () => {}) // the close tells
  let text = ''
  const answered = new Promise<void>((resolve) => { socket.once('data', () => { resolve() }) })
  socket.on('data', (chunk: string) => { text += chunk })
  const closed = new Promise<string>((resolve) => { socket.on('close', () => { resolve(text) }) })
  socket.write(head.replaceAll('{host}', url.host))
  return { socket, closed, answered }
}

/**
 * Writes `bytes` one at a time, one every `everyMs`, starting over at the end, until the server answers or closes:
 * a client that is never silent for long and never done either.
 */
function trickle (connection: Exchange, bytes: string, everyMs: number): () => void {
  let next = 0
  const timer = setInterval(() => {
    if (connection.socket.destroyed) return
    connection.socket.write(bytes[next % bytes.length] as string)
    next++
  }, everyMs)
  const stop = (): void => { clearInterval(timer) }
  void connection.answered.then(stop)
  void connection.closed.then(stop)
  return stop
}

interface Answer { status: number, headers: Record<string, string>, body: string, problem: Record<string, unknown> }

function parseAnswer (text: string): Answer {
  const end = text.indexOf('\r\n\r\n')
  const [statusLine, ...lines] = text.slice(0, end === -1 ? text.length : end).split('\r\n')
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  const body = end === -1 ? '' : text.slice(end + 4)
  let problem: Record<string, unknown> = {}
  try { problem = JSON.parse(body) as Record<string, unknown> } catch { /* no answer, or not JSON: the checks say */ }
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0), headers, body, problem }
}

function importHead (authorization: string, contentLength: number): string {
  return 'POST /v1/admin/debt-imports HTTP/1.1\r\nHost: {host}\r\n' +
    `Authorization: ${authorization}\r\nContent-Type: text/csv\r\nContent-Length: ${contentLength}\r\n\r\n`
}

/** The pools of the connections that stream a portfolio into COPY right now. */
async function streamingImports (app: FastifyInstance): Promise<string[]> {
  const { rows } = await sql<{ pool: string }>`select application_name as pool from pg_stat_activity
    where datname = current_database() and query like 'copy debt_import_rows%' and state = 'active'`.execute(app.db)
  return rows.map((row) => row.pool)
}

async function until (check: () => Promise<boolean>): Promise<void> {
  while (!await check()) await new Promise((resolve) => setTimeout(resolve, 20))
}

/** Nothing of an import left behind: no import, no staged row. */
async function importsWritten (app: FastifyInstance): Promise<number> {
  const { rows } = await sql<{ n: number }>`select (select count(*) from debt_imports)::int
    + (select count(*) from debt_import_rows)::int as n`.execute(app.db)
  return rows[0]?.n ?? -1
}

type Body = string | ReadableStream<Uint8Array>

async function upload (base: string, authorization: string, body: Body): Promise<Response> {
  return await fetch(`${base}/v1/admin/debt-imports`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'text/csv' },
    body,
    duplex: 'half'
  } as RequestInit)
}

t.test('the bounds: defaults and limits of the new settings', async (t) => {
  const defaults = loadConfig({})
  t.match(defaults.http, { headersTimeoutMs: 20_000, bodyTimeoutMs: 30_000 })
  t.same(defaults.debtImports, { concurrency: 2, idleTimeoutMs: 15_000, minBytesPerSecond: 1024 })
  const variables = [
    'HTTP_HEADERS_TIMEOUT_MS', 'HTTP_BODY_TIMEOUT_MS',
    'DEBT_IMPORT_CONCURRENCY', 'DEBT_IMPORT_IDLE_TIMEOUT_MS', 'DEBT_IMPORT_MIN_BYTES_PER_SECOND'
  ]
  for (const variable of variables) {
    t.throws(() => loadConfig({ [variable]: '0' }), { name: 'Error', variable, message: new RegExp(`^${variable}: `) })
  }
})

t.test('ten trickling imports: two run on their own pool, eight are 429 import_busy, the API answers', async (t) => {
  // the API's pool is three connections; an import that took one of them would leave two for everything else
  const { app, base } = await createListeningApp(t, {
    DATABASE_POOL_MAX: '3',
    DEBT_IMPORT_CONCURRENCY: '2',
    // slow but steady enough to stay: this test is about where imports wait, not about their pace
    DEBT_IMPORT_MIN_BYTES_PER_SECOND: '1',
    DEBT_IMPORT_IDLE_TIMEOUT_MS: '600000'
  })
  const operator = await createKey(app, ['operator'])
  const debt = await seedDebt(app)

  const running = [0, 1].map(() => exchange(base, importHead(operator.authorization, 1_000_000)))
  const trickles = running.map((connection) => trickle(connection, `${HEADER}\n`, 100))
  await until(async () => (await streamingImports(app)).length === 2)
  t.same(await streamingImports(app), ['debt-payments-import', 'debt-payments-import'],
    'two imports stream, each on a connection of the imports\' pool')

  // eight more, their headers sent and not a byte of their 1 MB bodies: refused before the body is read
  const refused = await Promise.all(Array.from({ length: 8 }, async () => {
    return parseAnswer(await exchange(base, importHead(operator.authorization, 1_000_000)).closed)
  }))
  for (const answer of refused) {
    t.equal(answer.status, 429)
    t.match(answer.problem, { status: 429, code: 'import_busy', retryAfterSeconds: 30 })
    t.equal(answer.headers['retry-after'], '30')
    t.equal(answer.headers.connection, 'close', 'the unread body keeps no connection')
  }

  // meanwhile, all at once: lookups, the bank's callbacks, readiness
  const lookup = async (): Promise<number> => (await fetch(`${base}/v1/debts/lookup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ contractNumber: debt.contract, iin: debt.iin })
  })).status
  const callback = async (): Promise<number> => (await fetch(`${base}/v1/callbacks/bank/result`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'pg_order_id=pay_x&pg_salt=s&pg_sig=x'
  })).status
  const ready = async (): Promise<number> => (await fetch(`${base}/health/ready`)).status
  const [lookups, callbacks, readiness] = await Promise.all([
    Promise.all([lookup(), lookup(), lookup()]),
    Promise.all([callback(), callback(), callback()]),
    Promise.all([ready(), ready(), ready(), ready()])
  ])
  t.same(lookups, [200, 200, 200], 'lookups find the debt')
  t.ok(callbacks.every((status) => status < 500), `the bank's callbacks are answered (${callbacks.join(', ')})`)
  t.same(readiness, [200, 200, 200, 200], 'the service is ready')
  t.equal((await streamingImports(app)).length, 2, 'the two imports are still streaming')

  // the trickles give up; their places are free again
  for (const stop of trickles) stop()
  for (const { socket } of running) socket.destroy()
  let after: Response | undefined
  await until(async () => {
    after = await upload(base, operator.authorization, makeCsv([makeRow(1)]))
    return after.status !== 429
  })
  t.equal(after?.status, 202, 'a new import is taken once the slow ones are gone')
})

t.test('a trickling upload is cut, though it is never silent for long, and writes nothing', async (t) => {
  const { app, base } = await createListeningApp(t, {
    DEBT_IMPORT_CONCURRENCY: '1',
    DEBT_IMPORT_IDLE_TIMEOUT_MS: '2000',
    DEBT_IMPORT_MIN_BYTES_PER_SECOND: '100'
  })
  const operator = await createKey(app, ['operator'])

  // a byte every 50 ms: 20 bytes a second where 100 are the least; each byte earns back 10 ms of the 50 it costs
  const started = performance.now()
  const slow = exchange(base, importHead(operator.authorization, 100_000))
  trickle(slow, `${HEADER}\n`, 50)
  const answer = parseAnswer(await slow.closed)
  const took = performance.now() - started
  t.equal(answer.status, 408, 'cut with an answer')
  t.match(answer.problem, { status: 408, code: 'request_timeout' })
  t.equal(answer.headers.connection, 'close')
  t.ok(took >= 2000, `not before the idle limit's worth of waiting (${Math.round(took)} ms)`)
  t.equal(await importsWritten(app), 0, 'the import wrote nothing')

  // silent after a few bytes: cut at the idle limit
  const silent = exchange(base, importHead(operator.authorization, 100_000))
  silent.socket.write(HEADER.slice(0, 10))
  const quiet = parseAnswer(await silent.closed)
  t.equal(quiet.status, 408, 'a silent upload too')
  t.match(quiet.problem, { code: 'request_timeout' })
  t.equal(await importsWritten(app), 0, 'and nothing written')

  // the one place (DEBT_IMPORT_CONCURRENCY=1) was given back each time
  const after = await upload(base, operator.authorization, makeCsv([makeRow(2)]))
  t.equal(after.status, 202)
})

t.test('headers sent slowly are answered 408 request_timeout; so is a JSON body sent slowly', async (t) => {
  // the idle limit is far: these connections are never silent, and still cut
  const { base } = await createListeningApp(t, { HTTP_HEADERS_TIMEOUT_MS: '500', HTTP_BODY_TIMEOUT_MS: '500' })

  // Node times the headers and reports ERR_HTTP_REQUEST_TIMEOUT to the server's clientError handler, which answers
  // the problem document itself (there is no request object yet) and closes the connection
  const headers = exchange(base, 'GET /health/live HTTP/1.1\r\nHost: {host}\r\n')
  trickle(headers, 'X-Slow: 1\r\n', 50)
  const headersAnswer = parseAnswer(await headers.closed)
  t.equal(headersAnswer.status, 408)
  t.match(headersAnswer.headers['content-type'], /^application\/problem\+json/)
  t.match(headersAnswer.headers['x-request-id'], /^[0-9a-f-]{36}$/)
  t.match(headersAnswer.problem, { status: 408, code: 'request_timeout', detail: /headers/ })

  // a JSON body's time is a total: the framework's parser fails with 408, and the connection is closed
  const body = exchange(base, 'POST /v1/debts/lookup HTTP/1.1\r\nHost: {host}\r\n' +
    'Content-Type: application/json\r\nContent-Length: 200\r\n\r\n')
  trickle(body, '{"contractNumber":"KD-1","iin":"900101300123"}', 50)
  const bodyAnswer = parseAnswer(await body.closed)
  t.equal(bodyAnswer.status, 408)
  t.match(bodyAnswer.problem, { status: 408, code: 'request_timeout', detail: /body/ })
  t.equal(bodyAnswer.headers.connection, 'close')

  const live = await fetch(`${base}/health/live`)
  t.equal(live.status, 200, 'and the service answers')
})

t.test('a steady upload longer than the idle limit, and than the body limit, gets through', async (t) => {
  const { app, base } = await createListeningApp(t, {
    DEBT_IMPORT_IDLE_TIMEOUT_MS: '1000',
    DEBT_IMPORT_MIN_BYTES_PER_SECOND: '100',
    HTTP_BODY_TIMEOUT_MS: '500'
  })
  const operator = await createKey(app, ['operator'])
  const rows = Array.from({ length: 40 }, (_, i) => makeRow(1000 + i))
  const csv = Buffer.from(makeCsv(rows))
  const pieces = 40
  const size = Math.ceil(csv.length / pieces)
  const started = performance.now()
  // about 100 bytes every 50 ms, for two seconds: twice the idle limit in all, far above the least pace
  const body = new ReadableStream<Uint8Array>({
    async start (controller) {
      for (let i = 0; i < pieces; i++) {
        controller.enqueue(csv.subarray(i * size, (i + 1) * size))
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      controller.close()
    }
  })
  const response = await upload(base, operator.authorization, body)
  const took = performance.now() - started
  t.equal(response.status, 202, await response.clone().text())
  t.match(await response.json(), { status: 'queued', rowsTotal: 40 })
  t.ok(took > 1000, `the upload took ${Math.round(took)} ms, more than the idle limit and the body limit`)
})
