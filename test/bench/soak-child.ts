// The soak's client (soak.ts): its own process, so its work never takes the event loop or the CPU figure of the
// service it measures. A steady mixed load for `minutes`: lookups, offer reads, payment cycles through the sandbox
// bank's page (each one a webhook delivery and a receipt), refunds of paid payments, paginated lists. Prints a JSON
// line per minute: for each kind, how many, errors, p50 and p99 in ms.
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'

export interface SoakChildInput {
  base: string
  lookups: Array<{ contractNumber: string, iin: string }>
  payers: SoakPayer[]
  operator: string
  minutes: number
  /** Requests a second the client aims at, all kinds together. */
  rate: number
  seed: number
}

/** One payer: their acceptance, the email a refund request names, the address they pay from. */
export interface SoakPayer { acceptanceId: string, email: string, ip: string }

export const KINDS = ['lookup', 'offer', 'pay', 'refund', 'list'] as const
export type Kind = typeof KINDS[number]
const WEIGHTS: Record<Kind, number> = { lookup: 55, offer: 15, pay: 15, refund: 5, list: 10 }
const WORKERS = 16

export interface KindMinute { n: number, errors: number, p50: number, p99: number }
export interface MinuteLine { minute: number, kinds: Record<Kind, KindMinute> }

/** mulberry32: the same seed, the same sequence of kinds. */
function random (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function pick (next: () => number): Kind {
  let roll = next() * 100
  for (const kind of KINDS) {
    roll -= WEIGHTS[kind]
    if (roll < 0) return kind
  }
  return 'lookup'
}

async function ok (response: Response): Promise<Response> {
  if (response.status >= 400) throw new Error(`${response.url}: ${response.status} ${await response.text()}`)
  return response
}

function json (body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }
}

async function run (input: SoakChildInput): Promise<void> {
  const paid: Array<{ id: string, at: number, payer: SoakPayer }> = []
  let sequence = 0
  const operations: Record<Kind, (next: () => number) => Promise<void>> = {
    lookup: async (next) => {
      const body = input.lookups[Math.floor(next() * input.lookups.length)]
      await (await ok(await fetch(`${input.base}/v1/debts/lookup`, json(body)))).arrayBuffer()
    },
    offer: async () => { await (await ok(await fetch(`${input.base}/v1/offer`))).arrayBuffer() },
    pay: async (next) => {
      const payer = input.payers[Math.floor(next() * input.payers.length)] as SoakPayer
      const created = await ok(await fetch(`${input.base}/v1/payments`, json(
        { acceptanceId: payer.acceptanceId, amount: 200_000, currency: 'KZT' },
        { 'idempotency-key': `soak-${process.pid}-${sequence++}`, 'x-forwarded-for': payer.ip })))
      const payment = await created.json() as { id: string, redirectUrl: string }
      const form = new URLSearchParams({
        action: 'pay', card_number: '4111 1111 1111 1111', card_expiry: '12/39', card_holder: 'SOAK', card_cvv: '123'
      })
      await (await fetch(payment.redirectUrl, {
        method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form
      })).arrayBuffer()
      paid.push({ id: payment.id, at: performance.now(), payer })
    },
    refund: async () => {
      // a payment paid some seconds ago (the bank's result callback comes on its own), refunded in part, approved
      const index = paid.findIndex((p) => performance.now() - p.at > 5_000)
      if (index < 0) { await (await ok(await fetch(`${input.base}/v1/offer`))).arrayBuffer(); return }
      const payment = paid.splice(index, 1)[0] as { id: string, payer: SoakPayer }
      const state = await (await ok(await fetch(`${input.base}/v1/payments/${payment.id}`))).json() as { status: string }
      if (state.status !== 'succeeded') return
      const request = await (await ok(await fetch(`${input.base}/v1/refund-requests`,
        json({ paymentId: payment.id, email: payment.payer.email, amount: 50_000, reason: 'soak' },
          { 'x-forwarded-for': payment.payer.ip })))).json() as { id: string }
      await (await ok(await fetch(`${input.base}/v1/admin/refund-requests/${request.id}/decision`,
        json({ decision: 'approve', responseText: 'soak' }, { authorization: input.operator })))).arrayBuffer()
    },
    list: async () => {
      const first = await (await ok(await fetch(`${input.base}/v1/admin/payments?limit=20`,
        { headers: { authorization: input.operator } }))).json() as { nextCursor: string | null }
      if (first.nextCursor === null) return
      await (await ok(await fetch(`${input.base}/v1/admin/payments?limit=20&startingAfter=${first.nextCursor}`,
        { headers: { authorization: input.operator } }))).arrayBuffer()
    }
  }

  const started = performance.now()
  const end = started + input.minutes * 60_000
  const samples = new Map<number, Record<Kind, { times: number[], errors: number }>>()
  const bucket = (minute: number): Record<Kind, { times: number[], errors: number }> => {
    let found = samples.get(minute)
    if (found === undefined) {
      found = Object.fromEntries(KINDS.map((kind) => [kind, { times: [], errors: 0 }])) as never
      samples.set(minute, found)
    }
    return found as Record<Kind, { times: number[], errors: number }>
  }
  const quantile = (sorted: number[], q: number): number =>
    sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number
  const print = (minute: number): void => {
    const kinds = bucket(minute)
    const line: MinuteLine = {
      minute: minute + 1,
      kinds: Object.fromEntries(KINDS.map((kind) => {
        const sorted = [...kinds[kind].times].sort((a, b) => a - b)
        const figures: KindMinute = {
          n: sorted.length, errors: kinds[kind].errors, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99)
        }
        return [kind, figures]
      })) as MinuteLine['kinds']
    }
    process.stdout.write(`${JSON.stringify(line)}\n`)
    samples.delete(minute)
  }
  let printed = 0
  const ticker = setInterval(() => {
    const minute = Math.floor((performance.now() - started) / 60_000)
    while (printed < minute) print(printed++)
  }, 250)

  // each worker keeps its own pace: WORKERS / rate seconds between its starts, late starts not made up in a burst
  const interval = (WORKERS / input.rate) * 1000
  await Promise.all(Array.from({ length: WORKERS }, async (_, worker) => {
    const next = random(input.seed + worker)
    let due = started + (worker * interval) / WORKERS
    while (due < end) {
      const wait = due - performance.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      const kind = pick(next)
      const at = performance.now()
      const minute = Math.floor((at - started) / 60_000)
      try {
        await operations[kind](next)
        bucket(minute)[kind].times.push(performance.now() - at)
      } catch (error) {
        bucket(minute)[kind].errors++
        process.stderr.write(`soak: ${kind}: ${(error as Error).message.slice(0, 300)}\n`)
      }
      due = Math.max(due + interval, performance.now() - interval)
    }
  }))
  clearInterval(ticker)
  while (printed < input.minutes) print(printed++)
}

await run(JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as SoakChildInput)
