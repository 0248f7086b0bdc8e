import t from 'tap'
import { createKey, eventually, startTestWorker } from '../helpers/app.js'
import { accept, createListeningApp, postJson, seedDebt, startPayment, submitAtBank } from '../helpers/payments.js'
import { AGENCY_DEFAULTS } from '../../src/config.js'

/**
 * MAIL_MODE=sandbox (the default on a developer's machine): nothing leaves
 * the machine, and GET /sandbox/mailbox shows every message of the flow,
 * newest first, with its recipient, subject and text.
 */
const { app, base, config } = await createListeningApp(t)
await startTestWorker(t, app, config)
const operator = await createKey(app, ['operator'])
const asOperator = { authorization: operator.authorization }

interface MailboxMessage { id: string, template: string, to: string, subject: string, text: string, sentAt: string }

async function mailbox (query = ''): Promise<MailboxMessage[]> {
  const response = await fetch(`${base}/sandbox/mailbox${query}`)
  if (response.status !== 200) throw new Error(`mailbox answered ${response.status}`)
  return (await response.json() as { messages: MailboxMessage[] }).messages
}

t.test('the whole flow\'s emails are in the sandbox mailbox', async (t) => {
  t.equal(config.mail.mode, 'sandbox')
  const debt = await seedDebt(app, { outstanding: '50000.00' })
  const acceptance = await accept(base, debt.id, { fullName: 'Иванов Иван Иванович', email: 'flow@example.kz', phone: '87012345678' })
  const payment = await (await startPayment(base, acceptance.id, 700_000)).json() as { id: string, redirectUrl: string }
  await submitAtBank(payment.redirectUrl)
  const request = await (await postJson(`${base}/v1/refund-requests`, { paymentId: payment.id, email: 'flow@example.kz', amount: 200_000, reason: 'Лишнее' })).json() as { id: string }
  t.equal((await postJson(`${base}/v1/admin/refund-requests/${request.id}/decision`, { decision: 'approve', responseText: 'Одобрено' }, asOperator)).status, 200)
  // the rest goes back too: the agency's return (offer cl. 8)
  await eventually(async () => (await mailbox()).some((m) => m.template === 'refund-paid'))
  t.equal((await postJson(`${base}/v1/admin/payments/${payment.id}/return`, { reason: 'Проверка' }, asOperator)).status, 202)
  await eventually(async () => (await mailbox()).filter((m) => m.template === 'refund-paid').length === 2)
  const privacy = await (await postJson(`${base}/v1/privacy-requests`, { email: 'flow@example.kz', fullName: 'Иванов Иван Иванович' })).json() as { id: string }

  const messages = await eventually(async () => {
    const all = await mailbox()
    return all.length >= 6 ? all : undefined
  })
  t.same(messages.map((m) => m.template), [
    'privacy-verification-code', 'refund-paid', 'refund-paid', 'refund-request-approved', 'refund-request-received', 'payment-receipt'
  ], 'every message of the flow, the last delivered first')
  t.ok(messages.every((m) => m.to === 'flow@example.kz'), 'each to the payer, in clear: it is the developer\'s mailbox')
  t.ok(messages.every((m) => m.text.includes(AGENCY_DEFAULTS.supportEmail) && m.subject !== ''), 'each with subject, text and the agency\'s contacts')
  t.match(messages[5]?.text, debt.contract)
  t.match(messages[1]?.text, 'Агентство вернуло ваш платёж (п. 8 оферты)', 'the return is told as such')
  t.match(messages[1]?.text, '5\u00a0000,00\u00a0₸', 'with the rest of the payment')
  t.match(messages[2]?.text, 'Ваш запрос на возврат исполнен')
  const code = /(\d{6})/.exec(messages[0]?.subject ?? '')?.[1] as string
  t.match(messages[0]?.text, `Код подтверждения: ${code}`, 'the privacy code, in the subject and the body')
  t.equal((await mailbox('?limit=2')).length, 2, 'bounded')
  t.equal((await fetch(`${base}/sandbox/mailbox?limit=100000`)).status, 400)

  const sent = await (await fetch(`${base}/v1/admin/mail-outbox?limit=4`, { headers: asOperator })).json() as { data: Array<{ id: string, status: string }>, hasMore: boolean, nextCursor: string }
  t.equal(sent.data.length, 4)
  t.ok(sent.data.every((m) => m.status === 'sent'), 'in sandbox mode "delivery" marks the outbox row sent')
  t.equal(sent.hasMore, true)
  const next = await (await fetch(`${base}/v1/admin/mail-outbox?limit=4&startingAfter=${sent.nextCursor}`, { headers: asOperator })).json() as { data: Array<{ id: string }>, hasMore: boolean }
  t.equal(next.data.length, 2, 'the next page holds the rest')
  t.equal(next.hasMore, false)

  // The payer confirms the withdrawal: the erasure takes the earlier messages' recipient and text, and the
  // confirmation arrives last, to the address the request named.
  t.equal((await postJson(`${base}/v1/privacy-requests/${privacy.id}/verify`, { code })).status, 200)
  const after = await eventually(async () => {
    const all = await mailbox()
    return all[0]?.template === 'privacy-destruction-confirmation' ? all : undefined
  })
  t.equal(after.length, 7)
  t.equal(after[0]?.to, 'flow@example.kz')
  t.match(after[0]?.text, `/v1/privacy-requests/${privacy.id}/confirmation`)
  t.ok(after.slice(1).every((m) => m.to === '[erased]' && m.text === '[erased]'), 'nothing of the payer is left in the earlier messages')
})

t.test('the mailbox is not part of the API document', async (t) => {
  const document = await (await fetch(`${base}/openapi.json`)).json() as { paths: Record<string, unknown> }
  t.notOk(Object.keys(document.paths).some((path) => path.startsWith('/sandbox')), 'hidden, like the sandbox bank')
  t.ok('/v1/admin/mail-outbox' in document.paths, 'the operators\' outbox list is documented')
})
