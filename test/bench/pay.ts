import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { extname } from 'node:path'
import http from 'node:http'
import { post } from './http-post.js'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import pg from 'pg'
import { preparedName } from '../../src/db/database.js'
import { formatMinorUnits } from '../../src/lib/money.js'
import { bankPaymentIdOf, signedCallback } from '../helpers/payments.js'

/**
 * The pay cycle: create a payment (which starts it at the sandbox bank over
 * HTTP), then the bank's check and result callbacks, each over HTTP, in
 * `loops` concurrent loops, each on its own debt. The timed cycles are sent
 * from a child process (pay-child.ts), so the client's HTTP work never
 * shares an event loop with the server it measures; the warm-up and the
 * captured cycles are sent from here. The ceiling replays the very SQL
 * statements those requests sent (captured at the pool, one cycle per
 * loop) raw through pg in this process, with fresh ids each time, named
 * where the service names them. Service
 * and ceiling run in turns, three rounds each, and each figure is the mean
 * of its rounds.
 */
export interface PayFixture { debtId: string, acceptanceId: string, keep: Set<string> }
interface Statement { client: number, text: string, values: unknown[] | undefined }

/** A callback's dedupe key (its kind and a hash of what the bank sent): unique per callback. */
const DEDUPE_KEY = /^(check|result):[0-9a-f]{16,}$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const AMOUNT = 10_000 // tiyn: the smallest payment
const ROUNDS = 3

/** Records what every client of this pool sends while `capturing` holds a list. */
export function capturePool (pool: pg.Pool): { start: () => Statement[], stop: () => void } {
  let log: Statement[] | null = null
  let clients = 0
  const connect = pool.connect.bind(pool) as () => Promise<pg.PoolClient>
  const ids = new WeakMap<pg.PoolClient, number>()
  ;(pool as unknown as { connect: () => Promise<pg.PoolClient> }).connect = async () => {
    const client = await connect()
    if (!ids.has(client)) {
      ids.set(client, clients++)
      const query = client.query.bind(client) as (...args: unknown[]) => unknown
      ;(client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
        if (log !== null && typeof args[0] === 'string') log.push({ client: ids.get(client) as number, text: args[0], values: args[1] as unknown[] | undefined })
        return query(...args)
      }
    }
    return client
  }
  return { start: () => { log = []; return log }, stop: () => { log = null } }
}

/** The client's connections, kept alive: a cycle's requests do not each open one. */
const agent = new http.Agent({ keepAlive: true })
async function postText (
  url: string, headers: Record<string, string>, body: string
): Promise<{ status: number, body: string }> {
  return await post(url, { agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (request) => {
    request.end(body)
  })
}

export async function oneCycle (base: string, secret: string, acceptanceId: string): Promise<void> {
  const created = await postText(`${base}/v1/payments`, { 'content-type': 'application/json', 'idempotency-key': `bench-pay-${randomUUID()}` },
    JSON.stringify({ acceptanceId, amount: AMOUNT, currency: 'KZT' }))
  if (created.status !== 201) throw new Error(`payment refused: ${created.status} ${created.body}`)
  const payment = JSON.parse(created.body) as { id: string, redirectUrl: string }
  const params = { pg_order_id: payment.id, pg_payment_id: bankPaymentIdOf(payment) as string, pg_amount: formatMinorUnits(BigInt(AMOUNT)), pg_currency: 'KZT' }
  for (const [kind, extra] of [['check', {}], ['result', { pg_result: '1', pg_payment_date: '2026-11-25 15:02:11', pg_card_pan: '5555-55XX-XXXX-4444' }]] as const) {
    const response = await postText(`${base}/v1/callbacks/bank/${kind}`, { 'content-type': 'application/x-www-form-urlencoded' }, signedCallback(kind, secret, { ...params, ...extra }).toString())
    if (response.status !== 200 || !response.body.includes('<pg_status>ok</pg_status>')) throw new Error(`${kind} callback not ok: ${response.body}`)
  }
}

export async function forDuration (
  loops: number, seconds: number, cycle: (loop: number) => Promise<void>
): Promise<number> {
  const deadline = performance.now() + seconds * 1000
  const started = performance.now()
  let cycles = 0
  await Promise.all(Array.from({ length: loops }, async (_, loop) => {
    while (performance.now() < deadline) { await cycle(loop); cycles++ }
  }))
  return cycles / ((performance.now() - started) / 1000)
}

/**
 * Fresh values for what each cycle created: ids other than the fixture's, the
 * idempotency key, callback dedupe keys (the bank's payment id is swapped apart).
 */
function remapper (statements: Statement[], keep: Set<string>): () => Array<unknown[] | undefined> {
  const created = new Set<string>()
  for (const s of statements) {
    for (const v of s.values ?? []) {
      if (typeof v !== 'string') continue
      if ((UUID.test(v) && !keep.has(v)) || v.startsWith('bench-pay-') || DEDUPE_KEY.test(v)) created.add(v)
    }
  }
  return () => {
    const fresh = new Map<string, string>()
    const value = (v: unknown): unknown => {
      if (typeof v !== 'string') return v
      if (created.has(v)) {
        if (!fresh.has(v)) fresh.set(v, UUID.test(v) ? randomUUID() : `${v.slice(0, v.indexOf(':') + 1) || 'bench-pay-'}${randomUUID()}`)
        return fresh.get(v)
      }
      return v
    }
    return statements.map((s) => s.values?.map(value))
  }
}

export interface PayResult { serviceCyclesPerSecond: number, rawCyclesPerSecond: number, statementsPerCycle: number }

export interface PayChildInput { base: string, secret: string, acceptanceIds: string[], seconds: number }

/** The client's script beside this one: compiled (npm run bench) or, run from source, under tsx. */
function payChild (): string[] {
  const script = fileURLToPath(new URL(`./pay-child${extname(fileURLToPath(import.meta.url))}`, import.meta.url))
  return script.endsWith('.ts') ? ['--import', 'tsx', script] : [script]
}

/** The timed cycles, one loop per acceptance, sent by a child process running pay-child. */
async function cyclesFromChild (input: PayChildInput, file: string): Promise<number> {
  writeFileSync(file, JSON.stringify(input))
  const child = spawn(process.execPath, [...payChild(), file], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  if (code !== 0) throw new Error(`the pay cycle's client exited with ${code}`)
  return (JSON.parse(out) as { cyclesPerSecond: number }).cyclesPerSecond
}

export async function benchPayCycle (
  app: FastifyInstance,
  base: string,
  fixtures: PayFixture[],
  seconds: number,
  capture: ReturnType<typeof capturePool>,
  databaseUrl: string,
  file: string
): Promise<PayResult> {
  const secret = app.config.bank.secretKey
  // warm up, then one captured cycle per loop (one loop at a time: their statements do not interleave)
  for (const f of fixtures) await oneCycle(base, secret, f.acceptanceId)
  const captured: Statement[][] = []
  for (const f of fixtures) {
    const log = capture.start()
    await oneCycle(base, secret, f.acceptanceId)
    capture.stop()
    captured.push([...log])
  }

  // the bank payment id the sandbox gave each captured cycle is unique per payment: found where the payment row gets it
  const clients: pg.Client[][] = []
  const plans = captured.map((statements, i) => {
    const keep = (fixtures[i] as PayFixture).keep
    const bankIds = new Set<string>()
    for (const s of statements) if (/bank_payment_id/.test(s.text)) for (const v of s.values ?? []) if (typeof v === 'string' && /^[0-9]{3,}$/.test(v)) bankIds.add(v)
    return { statements, next: remapper(statements, keep), bankIds }
  })
  for (const statements of captured) {
    const count = new Set(statements.map((s) => s.client)).size
    const own: pg.Client[] = []
    for (let c = 0; c < count; c++) {
      const client = new pg.Client({ connectionString: databaseUrl })
      client.on('error', () => {})
      await client.connect()
      own.push(client)
    }
    clients.push(own)
  }
  let bankSerial = 9_000_000_000
  const rawCycles = async (roundSeconds: number): Promise<number> =>
    await forDuration(fixtures.length, roundSeconds, async (loop) => {
      const plan = plans[loop] as typeof plans[number]
      const own = clients[loop] as pg.Client[]
      const order = [...new Set(plan.statements.map((s) => s.client))]
      const values = plan.next()
      const bank = new Map([...plan.bankIds].map((id) => [id, String(bankSerial++)]))
      for (const [i, s] of plan.statements.entries()) {
        const params = values[i]?.map((v) => (typeof v === 'string' && bank.has(v) ? bank.get(v) : v))
        // named where the service names it (the same rule, src/db/database.ts), so both prepare the same statements
        const name = params === undefined ? undefined : preparedName(s.text, params)
        const client = own[order.indexOf(s.client)] as pg.Client
        await (name === undefined ? client.query(s.text, params) : client.query({ name, text: s.text, values: params }))
      }
    })
  // service and ceiling in turns, ROUNDS times each: a slow spell of the machine weighs on both alike
  const service: number[] = []
  const raw: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    service.push(await cyclesFromChild({
      base,
      secret,
      acceptanceIds: fixtures.map((f) => f.acceptanceId),
      seconds: seconds / ROUNDS
    }, file))
    raw.push(await rawCycles(seconds / ROUNDS))
  }
  for (const own of clients) for (const c of own) await c.end()
  agent.destroy()
  const mean = (rates: number[]): number => rates.reduce((sum, rate) => sum + rate, 0) / rates.length
  return {
    serviceCyclesPerSecond: mean(service),
    rawCyclesPerSecond: mean(raw),
    statementsPerCycle: Math.round(captured.reduce((n, s) => n + s.length, 0) / captured.length)
  }
}
