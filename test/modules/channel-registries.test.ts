import t from 'tap'
import { createKey } from '../helpers/app.js'
import { operatorClient } from '../helpers/csv-upload.js'
import { createListeningApp, seedDebt } from '../helpers/payments.js'
import { fromPublicId, toPublicId } from '../../src/lib/ids.js'
import { kaspiPay } from '../../src/modules/payments/kaspi.js'
import { trialBalance } from '../../src/modules/ledger/service.js'

/**
 * Kaspi's daily registry (DESIGN 17): the day's CSV compared with our Kaspi payments over real HTTP. What only Kaspi
 * has, what only we have and what both have with other sums are each kept and listed, our payments among them
 * flagged; the same file again answers the same and records nothing; a bad file is refused whole, never a 500.
 */
const { app, base } = await createListeningApp(t, { CHANNEL_REGISTRY_MAX_BYTES: '4096', CHANNEL_REGISTRY_MAX_LINES: '6' })
const operator = await createKey(app, ['operator'])
const HEADER = 'txn_id,txn_date,account,sum'

async function codeOf (debtId: string): Promise<string> {
  const row = await app.db.selectFrom('debts').select('payment_code')
    .where('id', '=', fromPublicId('debt', debtId) as string).executeTakeFirstOrThrow()
  return row.payment_code
}

/** Kaspi pays `sum` tiyn at `txnDate`; the payment's public id. */
async function kaspiPayment (txnId: string, sum: bigint, txnDate: Date): Promise<{ id: string, code: string }> {
  const debt = await seedDebt(app, { outstanding: '50000.00' })
  const code = await codeOf(debt.id)
  const answer = JSON.parse(await kaspiPay({ db: app.db, pii: app.pii }, { txnId, account: code, sum, txnDate })) as
    { result: number }
  if (answer.result !== 0) throw new Error(`pay refused: ${JSON.stringify(answer)}`)
  const row = await app.db.selectFrom('payments').select('id').where('kaspi_txn_id', '=', txnId).executeTakeFirstOrThrow()
  return { id: toPublicId('payment', row.id), code }
}

const client = operatorClient(base, operator.authorization)
const get = client.get
async function upload (
  query: string, body: string, headers: Record<string, string> = {}
): Promise<{ status: number, body: any }> {
  return await client.postCsv(`/v1/admin/channel-registries?${query}`, body, headers)
}

async function recorded (): Promise<{ registries: number, differences: number, reviewEvents: number }> {
  const count = async (table: 'channel_registries' | 'channel_registry_differences' | 'events'): Promise<number> => {
    let query = app.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n'))
    if (table === 'events') query = query.where('type', '=', 'payment.needs_review')
    return Number((await query.executeTakeFirstOrThrow()).n)
  }
  return { registries: await count('channel_registries'), differences: await count('channel_registry_differences'), reviewEvents: await count('events') }
}

t.test('a day\'s registry finds the matched, the missing on each side and the amount mismatch', async (t) => {
  // 2026-03-10 in Almaty is 2026-03-09T19:00Z .. 2026-03-10T19:00Z
  const matched = await kaspiPayment('reg-a', 150_000n, new Date('2026-03-10T05:00:00Z'))
  const mismatched = await kaspiPayment('reg-b', 100_000n, new Date('2026-03-09T19:00:00Z'))
  const absent = await kaspiPayment('reg-c', 70_000n, new Date('2026-03-10T18:59:59Z'))
  await kaspiPayment('reg-next-day', 90_000n, new Date('2026-03-10T19:00:00Z'))
  const file = [
    HEADER,
    `reg-a,20260310100000,${matched.code},1500.00`,
    `reg-b,20260310000000,${mismatched.code},1000.5`,
    'reg-x,20260310120000,40817310562,250.00'
  ].join('\r\n') + '\r\n'

  const first = await upload('channel=kaspi&date=2026-03-10', file)
  t.equal(first.status, 201)
  t.match(first.body.id, /^creg_[0-9a-f]{32}$/)
  t.same(first.body, {
    id: first.body.id,
    channel: 'kaspi',
    date: '2026-03-10',
    lines: 3,
    matched: 1,
    missingHere: [{ txnId: 'reg-x', account: '40817310562', sum: 25_000 }],
    missingThere: [{ paymentId: absent.id, txnId: 'reg-c', amount: 70_000 }],
    amountMismatches: [{ paymentId: mismatched.id, txnId: 'reg-b', ours: 100_000, theirs: 100_050 }],
    createdAt: first.body.createdAt
  })

  const review = async (id: string): Promise<{ needsReview: boolean, reviewReason: string | null }> =>
    (await get(`/v1/admin/payments/${id}`)).body
  t.match(await review(mismatched.id), { needsReview: true, reviewReason: 'registry_amount_mismatch' }, 'a mismatch is flagged')
  t.match(await review(absent.id), { needsReview: true, reviewReason: 'registry_missing' }, 'so is a payment Kaspi lacks')
  t.match(await review(matched.id), { needsReview: false }, 'a match is not')
  const timeline = (await get(`/v1/admin/payments/${mismatched.id}`)).body.timeline
  t.match(timeline.at(-1), { type: 'registry_amount_mismatch', details: { registryId: first.body.id, registrySum: 100_050 } })
  const before = await recorded()
  t.same(before, { registries: 1, differences: 3, reviewEvents: 2 })

  const again = await upload('channel=kaspi&date=2026-03-10', file)
  t.equal(again.status, 200, 'the same file again: the stored comparison')
  t.same(again.body, first.body, 'answered the same')
  t.same(await recorded(), before, 'and nothing new recorded')

  const read = await get(`/v1/admin/channel-registries/${first.body.id}`)
  t.same(read.body, first.body, 'read back as it was found')
  const list = await get('/v1/admin/channel-registries?channel=kaspi&date=2026-03-10')
  t.same(list.body, {
    data: [{
      id: first.body.id, channel: 'kaspi', date: '2026-03-10', lines: 3, matched: 1,
      missingHereCount: 1, missingThereCount: 1, amountMismatchCount: 1, createdAt: first.body.createdAt
    }],
    hasMore: false,
    nextCursor: null
  })

  const corrected = await upload('channel=kaspi&date=2026-03-10', '\uFEFF' + file + `reg-c,20260310235959,${absent.code},700.00\n`)
  t.equal(corrected.status, 201, 'another file for the day is another registry')
  t.not(corrected.body.id, first.body.id)
  t.same(corrected.body.missingThere, [], 'Kaspi has it now')
  t.equal(corrected.body.matched, 2)
  t.equal((await recorded()).reviewEvents, 2, 'a payment already flagged is not flagged again')

  const balance = await trialBalance(app.db)
  t.equal(balance.total, 0, 'a registry moves no money: the trial balance stays zero')
  t.ok(balance.consistent)
})

t.test('the same file twice at once is compared once', async (t) => {
  const paid = await kaspiPayment('twice-a', 10_000n, new Date('2026-04-01T06:00:00Z'))
  const file = `${HEADER}\ntwice-a,20260401110000,${paid.code},100.00\ntwice-x,20260401120000,11111111116,5.00\n`
  const answers = await Promise.all([1, 2, 3].map(async () => await upload('channel=kaspi&date=2026-04-01', file)))
  t.same(answers.map((a) => a.status).sort(), [200, 200, 201])
  t.equal(new Set(answers.map((a) => JSON.stringify(a.body))).size, 1, 'one answer')
  const rows = await app.db.selectFrom('channel_registries').select('id').where('date', '=', '2026-04-01').execute()
  t.equal(rows.length, 1, 'one registry')
})

t.test('a bad registry is refused whole, with its bad lines named', async (t) => {
  const before = await recorded()
  const bad = await upload('channel=kaspi&date=2026-05-01', [
    HEADER,
    'ok-1,20260501100000,12345678903,100.00',
    'bad-sum,20260501100000,12345678903,1.005',
    'bad-date,20260231100000,12345678903,1.00',
    'ok-1,20260501100000,12345678903,100.00',
    'too,many,fields,1.00,extra',
    `${'x'.repeat(65)},20260501100000,12345678903,1.00`
  ].join('\n'))
  t.equal(bad.status, 422)
  t.equal(bad.body.code, 'invalid_csv')
  t.same(bad.body.errors.map((e: { path: string }) => e.path), ['body.line[3]', 'body.line[4]', 'body.line[5]', 'body.line[6]', 'body.line[7]'])
  t.match(bad.body.errors[2].message, /line 2 already/, 'a txn_id twice')

  const card = await upload('channel=kaspi&date=2026-05-01', `${HEADER}\nc-1,20260501100000,4111111111111111,1.00\n`)
  t.equal(card.status, 422, 'a card number as the account')
  t.notOk(JSON.stringify(card.body).includes('4111111111111111'), 'and it is not echoed')

  const header = await upload('channel=kaspi&date=2026-05-01', 'txn,date,account,sum\na,20260501100000,1,1.00\n')
  t.equal(header.status, 422)
  t.equal(header.body.code, 'invalid_csv_header')
  const quote = await upload('channel=kaspi&date=2026-05-01', `${HEADER}\n"unclosed,20260501100000,1,1.00\n`)
  t.equal(quote.body.code, 'invalid_csv')
  t.same(await recorded(), before, 'nothing recorded')
})

t.test('the upload is bounded and typed', async (t) => {
  const lines = Array.from({ length: 7 }, (_, i) => `l-${i},20260601100000,12345678903,1.00`)
  const long = await upload('channel=kaspi&date=2026-06-01', [HEADER, ...lines].join('\n'))
  t.equal(long.status, 413, 'more lines than CHANNEL_REGISTRY_MAX_LINES')
  t.equal(long.body.code, 'payload_too_large')
  const large = await upload('channel=kaspi&date=2026-06-01', `${HEADER}\n${'a'.repeat(5000)}`)
  t.equal(large.status, 413, 'more bytes than CHANNEL_REGISTRY_MAX_BYTES')
  const chunks = [HEADER + '\n', 'a'.repeat(3000), 'a'.repeat(3000)]
  const streamed = await fetch(`${base}/v1/admin/channel-registries?channel=kaspi&date=2026-06-01`, {
    method: 'POST',
    headers: { authorization: operator.authorization, 'content-type': 'text/csv' },
    body: new ReadableStream({
      pull (controller) {
        const next = chunks.shift()
        if (next === undefined) controller.close()
        else controller.enqueue(new TextEncoder().encode(next))
      }
    }),
    duplex: 'half'
  } as RequestInit)
  t.equal(streamed.status, 413, 'and when it comes chunked, without a length')
  t.equal((await streamed.json() as { code: string }).code, 'payload_too_large')

  const json = await upload('channel=kaspi&date=2026-06-01', JSON.stringify({ txn_id: 'x' }), { 'content-type': 'application/json' })
  t.equal(json.status, 415)
  t.equal(json.body.code, 'unsupported_media_type')
  t.equal((await upload('channel=card&date=2026-06-01', HEADER)).status, 400, 'Kaspi is the channel with a registry')
  t.equal((await upload('channel=kaspi&date=2026-02-30', HEADER)).status, 400, 'a date')
  const early = await upload('channel=kaspi&date=1999-12-31', HEADER)
  t.equal(early.status, 422)
  t.equal(early.body.code, 'invalid_date')
  const anonymous = await fetch(`${base}/v1/admin/channel-registries?channel=kaspi&date=2026-06-01`, {
    method: 'POST', headers: { 'content-type': 'text/csv' }, body: HEADER
  })
  t.equal(anonymous.status, 401)

  const empty = await upload('channel=kaspi&date=2026-06-02', `${HEADER}\n`)
  t.equal(empty.status, 201, 'a day without Kaspi payments')
  t.same([empty.body.lines, empty.body.matched, empty.body.missingHere, empty.body.missingThere], [0, 0, [], []])
  const unknown = await get(`/v1/admin/channel-registries/creg_${'0'.repeat(32)}`)
  t.equal(unknown.status, 404)
  t.equal(unknown.body.code, 'channel_registry_not_found')
})
