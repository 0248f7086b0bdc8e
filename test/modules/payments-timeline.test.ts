import t from 'tap'
import { createKey } from '../helpers/app.js'
import { accept, createListeningApp, postJson, seedDebt, startPayment, submitAtBank } from '../helpers/payments.js'

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
  const payment = await (await startPayment(base, acceptance.id, 1_200_000)).json() as { id: string, redirectUrl: string }
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
