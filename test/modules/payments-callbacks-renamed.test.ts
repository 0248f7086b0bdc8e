import t from 'tap'
import { sql } from 'kysely'
import { createKey } from '../helpers/app.js'
import { fromPublicId } from '../../src/lib/ids.js'
import { armFault } from '../bank/bank-fixtures.js'
import {
  accept, createListeningApp, outstandingOf, resultParams, seedDebt, sendCallback, signedCallback, startPayment,
  submitAtBank
} from '../helpers/payments.js'

/**
 * Issue 21, item 1 (DESIGN 16). The acquirer signs the values of a callback in the order of their names, never the
 * names: a genuine failure whose parameters are renamed so that the values line up under other names keeps a valid
 * pg_sig. Before the fix such a replay turned a failed payment into a success: the debt went down, a receipt was
 * queued, payment.succeeded reached the partners, and the trial balance still said consistent.
 */
const { app, base, config } = await createListeningApp(t)
const admin = await createKey(app, ['admin'])
const asAdmin = { authorization: admin.authorization }
const secret = config.bank.secretKey
const faults = { bankUrl: `${base}/sandbox/bank`, adminAuthorization: admin.authorization }

interface Started { id: string, amount: number, redirectUrl: string }

async function started (): Promise<{ debtId: string, payment: Started }> {
  const debt = await seedDebt(app, { outstanding: '10000.00' })
  const acceptance = await accept(base, debt.id)
  const payment = await (await startPayment(base, acceptance.id, 400_000)).json() as Started
  return { debtId: debt.id, payment }
}

/** A real payment declined on the sandbox bank's page: its failure callback reaches us over HTTP, signed. */
async function declined (): Promise<{ debtId: string, payment: Started }> {
  const made = await started()
  await submitAtBank(made.payment.redirectUrl, 'decline')
  return made
}

/** The failure callback as the bank sent it, pg_sig and pg_salt included: what the attacker read. */
async function storedFailure (paymentId: string): Promise<Record<string, string>> {
  const row = await app.db.selectFrom('bank_callbacks').select('raw_encrypted')
    .where('payment_id', '=', fromPublicId('payment', paymentId) as string)
    .where('kind', '=', 'result').where('signature_valid', '=', true)
    .executeTakeFirstOrThrow()
  return JSON.parse(app.pii.decrypt(row.raw_encrypted)) as Record<string, string>
}

/**
 * The attack: keep every value and its position in name order (so pg_sig still verifies), and choose new names so
 * that the ones we read line up as a success: pg_result gets a value '1' that sorts after pg_payment_id (the
 * sandbox's pg_testing_mode), the order, amount, currency and bank id keep theirs. Every value in between gets a
 * filler name that sorts between its neighbours.
 */
function renameIntoSuccess (genuine: Record<string, string>): Record<string, string> {
  const names = Object.keys(genuine).filter((name) => name !== 'pg_sig').sort()
  const values = names.map((name) => genuine[name] as string)
  const at = (name: string): number => names.indexOf(name)
  const one = values.findIndex((value, i) => value === '1' && i > at('pg_payment_id'))
  const anchors: Array<[string, number]> = [
    ['pg_amount', at('pg_amount')], ['pg_currency', at('pg_currency')], ['pg_order_id', at('pg_order_id')],
    ['pg_payment_id', at('pg_payment_id')], ['pg_result', one]
  ]
  anchors.forEach(([name, index], i) => {
    const previous = i === 0 ? -1 : (anchors[i - 1] as [string, number])[1]
    if (index <= previous) throw new Error(`cannot line up ${name}`)
  })
  const renamed: Record<string, string> = {}
  let anchor = 'pg_'
  let filler = 0
  values.forEach((value, index) => {
    const named = anchors.find(([, position]) => position === index)
    if (named === undefined) {
      // 'pg_amount_a' sorts after 'pg_amount' and before 'pg_currency': the value keeps its place
      renamed[`${anchor}_${String.fromCharCode(97 + filler++)}`] = value
    } else {
      anchor = named[0]
      filler = 0
      renamed[anchor] = value
    }
  })
  return { ...renamed, pg_sig: genuine.pg_sig as string }
}

async function detail (paymentId: string): Promise<Record<string, any>> {
  return (await app.inject({ method: 'GET', url: `/v1/admin/payments/${paymentId}`, headers: asAdmin })).json()
}

async function trialBalance (): Promise<Record<string, unknown>> {
  const answer = await app.inject({ method: 'GET', url: '/v1/admin/ledger/trial-balance', headers: asAdmin })
  const { checkedAt: _checkedAt, ...balance } = answer.json()
  return balance
}

async function count (query: ReturnType<typeof sql<{ n: string }>>): Promise<number> {
  return Number((await query.execute(app.db)).rows[0]?.n)
}

/** What a credited payment leaves behind: a ledger entry, the partners' event, the payer's receipt. */
async function traces (paymentId: string): Promise<Record<string, number>> {
  const id = fromPublicId('payment', paymentId) as string
  return {
    ledgerEntries: await count(sql`select count(*)::text as n from ledger_entries where payment_id = ${id}`),
    succeededEvents: await count(sql`select count(*)::text as n from events
      where type = 'payment.succeeded' and data->>'id' = ${paymentId}`),
    receipts: await count(sql`select count(*)::text as n from mail_outbox
      where template = 'payment-receipt' and data->>'paymentId' = ${paymentId}`)
  }
}

async function snapshot (debtId: string, paymentId: string) {
  const outstanding = await outstandingOf(app, debtId)
  return { outstanding, balance: await trialBalance(), traces: await traces(paymentId) }
}

const lastCallback = (state: Record<string, any>): Record<string, any> =>
  state.timeline.filter((e: Record<string, unknown>) => e.kind === 'callback').at(-1)
const eventsOf = (state: Record<string, any>, type: string): Array<Record<string, any>> =>
  state.timeline.filter((e: Record<string, unknown>) => e.kind === 'event' && e.type === type)

t.test('a genuine failure callback renamed into a success answers error and moves nothing', async (t) => {
  const { debtId, payment } = await declined()
  t.equal((await detail(payment.id)).status, 'failed', 'the bank declined it')
  const before = await snapshot(debtId, payment.id)
  t.equal(before.outstanding, 1_000_000n)

  const genuine = await storedFailure(payment.id)
  t.equal(genuine.pg_result, '0', 'a real failure, as the sandbox bank signed it')
  const forged = renameIntoSuccess(genuine)
  t.equal(forged.pg_result, '1', 'the values now read as a success')
  t.equal(forged.pg_order_id, payment.id)
  t.equal(forged.pg_amount, genuine.pg_amount)

  const answer = await sendCallback(base, 'result', new URLSearchParams(forged))
  t.equal(answer.status, 200)
  t.match(answer.text, /<pg_status>error<\/pg_status><pg_description>unknown parameter</, 'answered error')

  const after = await detail(payment.id)
  t.match(after, { status: 'failed', paidAt: null, needsReview: false }, 'still failed')
  t.same(await snapshot(debtId, payment.id), before,
    'the debt still outstanding, no ledger entry, no payment.succeeded, no receipt, the trial balance unchanged')
  t.match(lastCallback(after), {
    type: 'result',
    signatureValid: false,
    reply: 'error',
    details: {
      replyDescription: 'unknown parameter',
      params: { pg_result: '1', pg_sig: '[withheld]' },
      digest: { valuesSigned: true }
    }
  }, 'stored as an invalid callback, with the reason; the operator sees the genuine signature was replayed')
})

t.test('each callback script takes only its documented names, even signed with our secret', async (t) => {
  const { payment } = await started()
  const refused = [
    ['result', resultParams(payment, { pg_extra: '1' })],
    ['result', resultParams(payment, { custom: 'merchant-data' })],
    // a result's name is not a check's
    ['check', { pg_order_id: payment.id, pg_amount: '4000.00', pg_currency: 'KZT', pg_result: '1' }]
  ] as const
  for (const [kind, params] of refused) {
    const answer = await sendCallback(base, kind, signedCallback(kind, secret, params))
    t.match(answer.text, /<pg_status>error<\/pg_status><pg_description>unknown parameter</, `${kind} refused`)
  }
  const state = await detail(payment.id)
  t.match(state, { status: 'pending', needsReview: false }, 'nothing changed')
  const logged = state.timeline.filter((e: Record<string, unknown>) => e.kind === 'callback')
  t.equal(logged.length, 3)
  t.ok(logged.every((e: Record<string, any>) => e.signatureValid === false && e.reply === 'error' &&
    e.details.replyDescription === 'unknown parameter'), 'each stored as invalid, with the reason')

  const honest = await sendCallback(base, 'result', signedCallback('result', secret, resultParams(payment)))
  t.match(honest.text, /<pg_status>ok<\/pg_status><pg_description>accepted</, 'the bank\'s own names pass')
})

t.test('a success for a payment we hold failed, unconfirmed by the bank, is flagged and credits nothing', async (t) => {
  const { debtId, payment } = await declined()
  const before = await snapshot(debtId, payment.id)
  // what an attacker who found a renaming within the documented names would send; signed as the bank signs
  const success = signedCallback('result', secret, resultParams(payment))
  const answer = await sendCallback(base, 'result', success)
  t.match(answer.text, /<pg_status>ok<\/pg_status><pg_description>accepted for review</,
    'acknowledged, as any success the bank may hold money for')
  const state = await detail(payment.id)
  t.match(state, { status: 'failed', needsReview: true, reviewReason: 'late_success_unconfirmed' })
  t.match(eventsOf(state, 'bank_success_unconfirmed'), [
    { details: { after: 'failed', bankStatus: 'failed', reason: 'the bank says failed' } }
  ])
  t.same(await snapshot(debtId, payment.id), before, 'nothing moved')

  const again = await sendCallback(base, 'result', signedCallback('result', secret, resultParams(payment)))
  t.equal(again.text, answer.text, 'a repeat (another salt) gets the identical answer')
  t.equal(eventsOf(await detail(payment.id), 'bank_success_unconfirmed').length, 1, 'decided once')
})

t.test('when get_status3 cannot be asked, a late success is flagged, never credited on a guess', async (t) => {
  const { debtId, payment } = await declined()
  const before = await snapshot(debtId, payment.id)
  await armFault(faults, { script: 'get_status3', mode: 'error', count: 1 })
  const answer = await sendCallback(base, 'result', signedCallback('result', secret, resultParams(payment)))
  t.match(answer.text, /<pg_description>accepted for review<\/pg_description>/)
  const state = await detail(payment.id)
  t.match(state, { status: 'failed', needsReview: true, reviewReason: 'late_success_unconfirmed' })
  t.match(eventsOf(state, 'bank_success_unconfirmed'), [{ details: { reason: 'the bank could not be asked' } }])
  t.same(await snapshot(debtId, payment.id), before, 'nothing moved')
})

t.test('a success for a pending payment the bank never named is asked about too; unconfirmed, it stays for reconciliation', async (t) => {
  // init timed out: we hold the payment pending with no bank payment id to check a success against
  const { debtId, payment } = await started()
  const paymentId = fromPublicId('payment', payment.id) as string
  await sql`update payments set bank_payment_id = null where id = ${paymentId}`.execute(app.db)
  const before = await snapshot(debtId, payment.id)
  // the sandbox holds the payment unpaid: a renamed replay, or a success the bank does not confirm
  const answer = await sendCallback(base, 'result', signedCallback('result', secret, resultParams(payment)))
  t.match(answer.text, /<pg_status>ok<\/pg_status><pg_description>accepted, to be reconciled</)
  const state = await detail(payment.id)
  t.match(state, { status: 'pending', needsReview: false }, 'not credited, and no operator needed: reconciliation asks')
  t.match(eventsOf(state, 'bank_success_unconfirmed'), [{ details: { after: 'pending', bankStatus: 'pending' } }])
  t.same(await snapshot(debtId, payment.id), before, 'nothing moved')
})
