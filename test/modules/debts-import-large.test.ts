import t from 'tap'
import { createKey, createTestApp, eventually, startTestWorker } from '../helpers/app.js'
import { HEADER, makeRow, toCsvLine } from '../helpers/portfolio.js'

/**
 * A real portfolio size: 100,000 rows through the HTTP API, streamed, while
 * the service keeps answering other requests. Speed is the benchmark's
 * business (npm run bench); this checks that it all arrives.
 */
const ROWS = 100_000
const { app, config } = await createTestApp(t)
await startTestWorker(t, app, config)
const operator = await createKey(app, ['operator'])
const base = await app.listen({ port: 0, host: '127.0.0.1' })

t.test('100,000 rows import end to end while the server keeps answering', async (t) => {
  let seed = 0
  const body = new ReadableStream<Uint8Array>({
    pull (controller) {
      if (seed === 0) controller.enqueue(new TextEncoder().encode(HEADER + '\n'))
      if (seed >= ROWS) { controller.close(); return }
      const lines: string[] = []
      for (let i = 0; i < 2000 && seed < ROWS; i++) lines.push(toCsvLine(makeRow(1_000_000 + seed++)))
      controller.enqueue(new TextEncoder().encode(lines.join('\n') + '\n'))
    }
  })

  let probing = true
  const probes: number[] = []
  const prober = (async () => {
    while (probing) {
      probes.push((await fetch(`${base}/health/ready`)).status)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  })()

  const upload = await fetch(`${base}/v1/admin/debt-imports`, {
    method: 'POST',
    headers: { authorization: operator.authorization, 'content-type': 'text/csv' },
    body,
    duplex: 'half'
  } as RequestInit)
  t.equal(upload.status, 202)
  const { id, rowsTotal } = await upload.json() as { id: string, rowsTotal: number }
  t.equal(rowsTotal, ROWS)

  const report = await eventually(async () => {
    const r = await (await fetch(`${base}/v1/admin/debt-imports/${id}`, { headers: { authorization: operator.authorization } })).json() as Record<string, any>
    return r.status === 'completed' ? r : undefined
  }, 300_000)
  probing = false
  await prober

  t.match(report, { rowsTotal: ROWS, rowsImported: ROWS, rowsUnchanged: 0, rowsRejected: 0, errors: [] })
  const count = await app.db.selectFrom('debts').select((eb) => eb.fn.countAll<bigint>().as('n')).executeTakeFirstOrThrow()
  t.equal(count.n, BigInt(ROWS))
  const staged = await app.db.selectFrom('debt_import_rows').select((eb) => eb.fn.countAll<bigint>().as('n')).executeTakeFirstOrThrow()
  t.equal(staged.n, 0n, 'no staged personal data is left behind')
  t.ok(probes.length >= 5, `the server answered ${probes.length} requests meanwhile`)
  t.ok(probes.every((s) => s === 200), 'all of them successfully')
})
