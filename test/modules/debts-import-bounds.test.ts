import t from 'tap'
import http from 'node:http'
import { createGzip } from 'node:zlib'
import { createKey, createTestApp, eventually, startTestWorker } from '../helpers/app.js'
import { HEADER, makeIin, makeRow, toCsvLine } from '../helpers/portfolio.js'

/**
 * DESIGN 16: an upload is bounded while it is parsed. Each shape of bomb is
 * streamed to the route over a real socket, as a client sends it (pieces of
 * 16 KiB, waiting when the socket is full); the answer is a 4xx and nothing
 * is written, or, for a record that is only a bad row, a row error in the
 * report. The process's resident memory rises by a bounded amount however
 * large the input: measured, never timed. Before the bounds, these shapes
 * took 250 MB (the long field), 0.9 to 1.8 GB (the gzip, then accepted),
 * 1.1 to 1.2 GB (the wide record), and the line without a break was searched
 * from its start on every chunk (it did not finish within tap's timeout).
 */
const MiB = 1024 * 1024
const PIECE = 16 * 1024
/** What an upload may add to the process's resident memory; before the bounds each shape below took far more. */
const RSS_BOUND = 96 * MiB

const { app, config } = await createTestApp(t)
await startTestWorker(t, app, config)
const operator = await createKey(app, ['operator'])
const base = await app.listen({ port: 0, host: '127.0.0.1' })

/** `prefix`, `piece` `repeat` times, `suffix`: a body made as it is sent, never held whole. */
function * bodyOf (prefix: string, piece: Buffer, repeat: number, suffix = ''): Generator<Buffer> {
  yield Buffer.from(prefix)
  for (let i = 0; i < repeat; i++) yield piece
  yield Buffer.from(suffix)
}

interface Answer { statusCode: number, headers: http.IncomingHttpHeaders, json: any, sent: number }

/** Streams `pieces` to the import; stops sending once the answer arrives, and says how much it had sent. */
async function upload (pieces: Iterable<Buffer>, headers: Record<string, string> = {}) {
  return await new Promise<Answer>((resolve, reject) => {
    let sent = 0
    let answered = false
    const request = http.request(`${base}/v1/admin/debt-imports`, {
      method: 'POST', headers: { authorization: operator.authorization, 'content-type': 'text/csv', ...headers }
    }, (response) => {
      answered = true
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => { body += chunk })
      response.on('end', () => {
        request.destroy()
        resolve({ statusCode: response.statusCode ?? 0, headers: response.headers, json: JSON.parse(body), sent })
      })
    })
    // a refusal may close the connection while the rest is still being sent: the answer is what counts
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error)
    })
    // TCP may reset a connection closed on bytes still arriving before the answer is read (a race of the network,
    // not of the service): then there is no answer to read, and waiting for one would hang the test
    request.on('close', () => {
      if (!answered) resolve({ statusCode: 0, headers: {}, json: null, sent })
    })
    const iterator = pieces[Symbol.iterator]()
    const send = (): void => {
      while (!answered && !request.destroyed) {
        const next = iterator.next()
        if (next.done === true) { request.end(); return }
        sent += next.value.length
        if (!request.write(next.value)) { request.once('drain', send); return }
      }
    }
    send()
  })
}

/**
 * The most the resident set rose above its level before `run`: sampled while the event loop turns, and the kernel's
 * high-water mark for what happens between two turns (a parser that grows an array inside one chunk).
 */
async function rssGrowth<T> (run: () => Promise<T>): Promise<{ result: T, growth: number }> {
  const before = process.memoryUsage.rss()
  const highBefore = process.resourceUsage().maxRSS * 1024
  let peak = before
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()) }, 5)
  try {
    const result = await run()
    const highAfter = process.resourceUsage().maxRSS * 1024
    if (highAfter > highBefore) peak = Math.max(peak, highAfter)
    return { result, growth: Math.max(peak, process.memoryUsage.rss()) - before }
  } finally {
    clearInterval(sampler)
  }
}

async function written () {
  const count = async (table: 'debt_imports' | 'debt_import_rows' | 'debts' | 'audit_log') =>
    (await app.db.selectFrom(table).select((eb) => eb.fn.countAll<bigint>().as('n')).executeTakeFirstOrThrow()).n
  const [imports, staged] = [await count('debt_imports'), await count('debt_import_rows')]
  return { imports, staged, debts: await count('debts'), audit: await count('audit_log') }
}

async function report (id: string) {
  return await eventually(async () => {
    const url = `/v1/admin/debt-imports/${id}`
    const r = (await app.inject({ method: 'GET', url, headers: { authorization: operator.authorization } })).json()
    return r.status === 'completed' || r.status === 'failed' ? r : undefined
  })
}

/** A completed import's rejected rows, as line, column, code and message; its one good row imported. */
function rowErrors (r: Record<string, any>) {
  if (r.status !== 'completed' || r.rowsImported !== 1 || r.rowsRejected !== 1) return r
  return r.errors.map((e: Record<string, unknown>) => [e.line, e.column, e.code, e.message])
}

/** What an import of one good row and one bad row leaves: the import, its audit entry, one debt; nothing staged. */
function oneImportOneDebt (before: Awaited<ReturnType<typeof written>>) {
  return { ...before, imports: before.imports + 1n, debts: before.debts + 1n, audit: before.audit + 1n }
}

const mb = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`

// Resident memory, once taken, is mostly kept: a bomb that fits in pages an earlier one left would show no growth.
// So the shapes run from the one that took least before the bounds to the one that took most, the line without a
// break last.
t.before(async () => {
  // the first import warms what every later one shares (the pool's connections, compiled code)
  const warm = await upload([Buffer.from(`${HEADER}\n${toCsvLine(makeRow(900))}\n`)])
  await report(warm.json.id)
})

t.test('a field of 64 Mi characters is one row error: the parser keeps 4,096 of them', async (t) => {
  const before = await written()
  const name = Buffer.from('я'.repeat(PIECE / 2)) // two bytes a character
  const rest = `,Банк,100,KZT\n${toCsvLine(makeRow(902))}\n`
  const body = bodyOf(`${HEADER}\nКД-L1,${makeIin(903)},`, name, (128 * MiB) / PIECE, rest)
  const { result: response, growth } = await rssGrowth(async () => await upload(body))
  t.equal(response.statusCode, 202)
  t.match(response.json, { rowsTotal: 2 })
  t.ok(growth < RSS_BOUND, `resident memory rose ${mb(growth)}`)
  const errors = rowErrors(await report(response.json.id))
  t.same(errors, [[2, 'debtor_name', 'field_too_long', 'debtor_name is longer than 4096 characters']], 'a row error')
  t.same(await written(), oneImportOneDebt(before), 'of the record, only its error')
})

t.test('a gzip body of 326 KB inflating to 326 MiB of commas is 413, stopped at 100x, nothing written', async (t) => {
  const before = await written()
  // the bomb, compressed here a piece at a time: the test never holds it inflated
  const compressed = await new Promise<Buffer>((resolve, reject) => {
    const parts: Buffer[] = []
    const gzip = createGzip({ level: 9 })
    gzip.on('data', (part: Buffer) => parts.push(part)).on('error', reject)
    gzip.on('end', () => { resolve(Buffer.concat(parts)) })
    const commas = Buffer.alloc(MiB, ',')
    gzip.write(`${HEADER}\nКД-G1`)
    let left = 326
    const more = (): void => {
      while (left > 0) { left--; if (!gzip.write(commas)) { gzip.once('drain', more); return } }
      gzip.end()
    }
    more()
  })
  const kb = Math.round(compressed.length / 1024)
  t.ok(kb > 300 && kb < 400, `${kb} KB compressed`)
  const pieces: Buffer[] = []
  for (let at = 0; at < compressed.length; at += PIECE) pieces.push(compressed.subarray(at, at + PIECE))
  const { result: response, growth } = await rssGrowth(async () => await upload(pieces, { 'content-encoding': 'gzip' }))
  t.equal(response.statusCode, 413)
  const detail = 'The gzip body inflates to more than 100 times its compressed size'
  t.match(response.json, { code: 'payload_too_large', detail })
  t.ok(growth < RSS_BOUND, `resident memory rose ${mb(growth)}`)
  t.same(await written(), before, 'no import, no staged row, no debt, no audit entry')
  const health = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(health.statusCode, 200, 'the process is up and serving')
})

t.test('a record of 64 MiB of commas is one row error: the parser keeps one field more than the header', async (t) => {
  const before = await written()
  const commas = Buffer.alloc(PIECE, ',')
  const body = bodyOf(`${HEADER}\nКД-W1`, commas, (64 * MiB) / PIECE, `\n${toCsvLine(makeRow(901))}\n`)
  const { result: response, growth } = await rssGrowth(async () => await upload(body))
  t.equal(response.statusCode, 202)
  t.match(response.json, { rowsTotal: 2 })
  t.ok(growth < RSS_BOUND, `resident memory rose ${mb(growth)}`)
  const errors = rowErrors(await report(response.json.id))
  t.same(errors, [[2, null, 'wrong_field_count', 'expected 6 fields, found more']], 'reported like any bad row')
  t.same(await written(), oneImportOneDebt(before), 'of the record, only its error')
})

t.test('a file without a line break is refused at 64 KB: 422 invalid_csv_header, the rest never read', async (t) => {
  const before = await written()
  const body = bodyOf('contract_number,', Buffer.alloc(PIECE, 'x,'), (64 * MiB) / PIECE)
  const { result: response, growth } = await rssGrowth(async () => await upload(body))
  if (response.statusCode === 0) {
    // refused and closed while the client still sent: the reset reached the client before the 422 did
    t.ok(response.sent < 32 * MiB, `reset when ${mb(response.sent)} of the 64 MiB line had been sent`)
    t.ok(growth < RSS_BOUND, `resident memory rose ${mb(growth)}`)
    t.same(await written(), before, 'no import, no staged row, no debt, no audit entry')
    return
  }
  t.equal(response.statusCode, 422)
  t.match(response.json, { code: 'invalid_csv_header', detail: /header line is longer than 65536 characters/ })
  // the header is looked for in what arrived, each character once, and no further than 64 KB: the answer comes
  // while the line is still being sent, whatever its length (before, the whole line was buffered, and searched
  // again from its start on every chunk, until the end of the file)
  t.ok(response.sent < 32 * MiB, `answered when ${mb(response.sent)} of the 64 MiB line had been sent`)
  t.equal(response.headers.connection, 'close', 'and the connection closed: the rest is not read')
  t.ok(growth < RSS_BOUND, `resident memory rose ${mb(growth)}`)
  t.same(await written(), before, 'no import, no staged row, no debt, no audit entry')
})
