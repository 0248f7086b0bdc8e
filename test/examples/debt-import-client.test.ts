import t from 'tap'
import { readFileSync } from 'node:fs'
import { createKey, eventually, startTestWorker } from '../helpers/app.js'
import { createListeningApp, PAYER, submitAtBank } from '../helpers/payments.js'
import { makeCsv, makeRow } from '../helpers/portfolio.js'

/**
 * DESIGN 20: the portfolio import has a `requestBody` (text/csv, binary) so that Swagger UI's "Try it out" and
 * generated clients can upload. The example client (examples/debt-import-client.ts, typed by what openapi-typescript
 * generates from openapi/openapi.json; `npm run client:check`) reads the media type to send from the document itself:
 * without the requestBody it has none and uploads nothing, so this test fails when the document loses it.
 * It is loaded by a computed path so that `npm run typecheck` does not need the generated types.
 */
const clientPath = new URL('../../examples/debt-import-client.ts', import.meta.url).href
const example = await import(clientPath) as Record<string, any>
const website = await import(new URL('../../examples/website-client.ts', import.meta.url).href) as Record<string, any>
const partnerExample = await import(new URL('../../examples/partner-client.ts', import.meta.url).href) as Record<string, any>
const document = JSON.parse(readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8'))

const { app, base, config } = await createListeningApp(t)
await startTestWorker(t, app, config)
const operator = await createKey(app, ['operator'])

t.test('the document describes the upload as a binary CSV body', async (t) => {
  const body = document.paths['/v1/admin/debt-imports'].post.requestBody
  t.equal(body.required, true)
  t.same(Object.keys(body.content), ['text/csv', 'application/csv'], 'the media types the route accepts (CSV_MEDIA_TYPES)')
  for (const media of Object.values(body.content) as Array<{ schema: unknown }>) {
    t.match(media.schema, { type: 'string', format: 'binary' }, 'a file, as Swagger UI shows a file picker for')
  }
})

t.test('a client generated from the document uploads a portfolio, which is imported', async (t) => {
  const client = example.debtImportClient(base, operator.key, document)
  t.equal(client.mediaType, 'text/csv', 'the media type comes from the document\'s requestBody')
  const rows = [makeRow(880_001), makeRow(880_002), makeRow(880_003)]
  const queued = await client.upload(makeCsv(rows), 'portfolio-2026-12.csv')
  t.match(queued, { id: /^imp_[0-9a-f]{32}$/, status: 'queued', rowsTotal: 3 })
  const report = await eventually(async () => {
    const state = await client.report(queued.id)
    return state.status === 'completed' ? state : undefined
  })
  t.match(report, { rowsTotal: 3, rowsImported: 3, rowsRejected: 0, errors: [] })

  const refused = await example.debtImportClient(base, operator.key, document).upload('not,a,portfolio\n1,2,3\n')
    .then(() => null, (error: unknown) => error)
  t.match(refused, { status: 422, problem: { code: 'invalid_csv_header' } }, 'a refusal arrives as the problem document')
})

t.test('without the requestBody in the document, the client has nothing to send the file as', async (t) => {
  const stripped = structuredClone(document)
  delete stripped.paths['/v1/admin/debt-imports'].post.requestBody
  t.throws(() => example.debtImportClient(base, operator.key, stripped), /no requestBody/)
})

t.test('the whole flow on the generated types: import, lookup, offer, payment, the bank, receipt, partner events',
  async (t) => {
    const row = makeRow(880_011, { outstanding: '12000.00' })
    const queued = await example.debtImportClient(base, operator.key, document).upload(makeCsv([row]), 'flow.csv')
    await eventually(async () => {
      const state = await example.debtImportClient(base, operator.key, document).report(queued.id)
      return state.status === 'completed' ? state : undefined
    })
    const started = await website.startPayingDebt(base, {
      contractNumber: row.contract, iin: row.iin, amount: 300_000, payer: PAYER
    })
    t.match(started.payment, { id: /^pay_/, status: 'pending', amount: 300_000 })
    t.equal((await submitAtBank(started.payment.redirectUrl)).status, 303)
    t.match(await started.api.receipt(started.payment), { paymentId: started.payment.id, contractNumber: row.contract })

    const partner = await createKey(app, ['partner'], 'flow partner', [row.creditor])
    const events = partnerExample.partnerClient(base, partner.key)
    const bookings = await eventually(async () => {
      const found = partnerExample.bookingsOf(await events.events()) as Array<{ objectId: string }>
      return found.some((b) => b.objectId === started.payment.id) ? found : undefined
    })
    t.match(bookings.find((b) => b.objectId === started.payment.id), { kind: 'payment', amount: 300_000 },
      'the partner reads the payment out of its typed event')
  })
