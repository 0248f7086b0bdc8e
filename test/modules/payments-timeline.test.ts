import t from 'tap'
import { createKey } from '../helpers/app.js'
import { accept, createListeningApp, postJson, seedDebt, startPayment, submitAtBank } from '../helpers/payments.js'
import { fromPublicId } from '../../src/lib/ids.js'

/**
 * Amounts are integer tiyn on the wire everywhere, the payment's timeline and the audit log included: their
 * events store amounts as text (bigint in JSON), and the API answers them as the integers the schema declares.
 */
const { app, base } = await createListeningApp(t)
const operator = await createKey(app, ['operator'])
const asOperator = { authorization: operator.authorization }

t.test('the timeline and the audit log answer amounts as integers', async (t) => {
  const debt = await seedDebt(app, { outstanding: '50000.00' })
  const acceptance = await accept(base, debt.id)
  const payment = await (await startPayment(base, acceptance.id, 1_200_000)).json() as {
    id: string
    redirectUrl: string
  }
  await submitAtBank(payment.redirectUrl)
  const returned = await postJson(`${base}/v1/admin/payments/${payment.id}/return`, { reason: 'Подозрительный платёж' }, asOperator)
  t.equal(returned.status, 202)

  const detail = await (await fetch(`${base}/v1/admin/payments/${payment.id}`, { headers: asOperator })).json() as { timeline: Array<{ kind: string, type: string, details: Record<string, unknown> }> }
  const event = (type: string) => detail.timeline.find((e) => e.kind === 'event' && e.type === type)?.details
  t.equal(event('created')?.amount, 1_200_000)
  t.equal(event('succeeded')?.applied, 1_200_000)
  t.equal(event('succeeded')?.overpaid, 0)
  t.equal(event('return_started')?.amount, 1_200_000)
  for (const entry of detail.timeline.filter((e) => e.kind === 'event')) {
    for (const field of ['amount', 'applied', 'overpaid', 'bankAmount', 'debtRaisedBy', 'bankRefundedAmount', 'claimDifference']) {
      if (field in entry.details) t.ok(Number.isSafeInteger(entry.details[field]), `${entry.type}.${field} is an integer`)
    }
  }
  const callback = detail.timeline.find((e) => e.kind === 'callback')
  t.match(callback?.details, { params: { pg_amount: '12000.00' } }, 'a callback\'s parameters stay as the bank sent them')

  const log = await (await fetch(`${base}/v1/admin/audit-log?entityType=payment&entityId=${payment.id}`, { headers: asOperator })).json() as { data: Array<{ action: string, details: Record<string, unknown> }> }
  t.match(log.data, [{ action: 'payment.returned' }])
  t.equal(log.data[0]?.details.amount, 1_200_000, 'the returned amount, an integer')
})

t.test('the timeline withholds each callback\'s pg_sig and pg_salt and says whether it is the bank\'s', async (t) => {
  const debt = await seedDebt(app, { outstanding: '50000.00' })
  const acceptance = await accept(base, debt.id)
  const payment = await (await startPayment(base, acceptance.id, 300_000)).json() as { id: string, redirectUrl: string }
  await submitAtBank(payment.redirectUrl)
  // a forgery naming the same payment: stored as a bounded digest
  const forged = { pg_order_id: payment.id, pg_amount: '3000.00', pg_salt: 'forged-salt', pg_sig: 'f'.repeat(32) }
  await fetch(`${base}/v1/callbacks/bank/result`, { method: 'POST', body: new URLSearchParams(forged) })

  const answer = await fetch(`${base}/v1/admin/payments/${payment.id}`, { headers: asOperator })
  const text = await answer.text()
  const stored = await app.db.selectFrom('bank_callbacks').select(['raw_encrypted', 'signature_valid'])
    .where('payment_id', '=', fromPublicId('payment', payment.id) as string).execute()
  const secrets = stored.flatMap((row) => {
    const raw = JSON.parse(app.pii.decrypt(row.raw_encrypted)) as Record<string, any>
    const params = (row.signature_valid ? raw : raw.params) as Record<string, string>
    return [params.pg_sig, params.pg_salt].filter((value): value is string => value !== undefined)
  })
  t.equal(secrets.length, 2 * stored.length, 'every stored callback keeps both, as evidence')
  for (const value of secrets) t.notOk(text.includes(value), 'neither is in the back office\'s answer')

  interface Entry { kind: string, type: string, signatureValid?: boolean, details: Record<string, any> }
  const callbacks = (JSON.parse(text) as { timeline: Entry[] }).timeline.filter((e) => e.kind === 'callback')
  t.same(callbacks.map((e) => [e.type, e.signatureValid]), [['check', true], ['result', true], ['result', false]])
  for (const entry of callbacks) {
    t.match(entry.details.params, { pg_sig: '[withheld]', pg_salt: '[withheld]', pg_order_id: payment.id })
  }
})
