import t, { type Test } from 'tap'
import { sql } from 'kysely'
import { createKey, eventually, startTestWorker } from '../helpers/app.js'
import { accept, createListeningApp, postJson, seedDebt, startPayment, submitAtBank } from '../helpers/payments.js'
import { SINK_PASSWORD, startSmtpSink, type ReceivedMail } from '../helpers/smtp.js'
import { containsCardNumber } from '../../src/lib/card-data.js'
import { fromPublicId, toPublicId } from '../../src/lib/ids.js'
import { AGENCY_DEFAULTS } from '../../src/config.js'
import { settleSuccess } from '../../src/modules/payments/settlement.js'
import { recipientOf } from '../../src/modules/notifications/service.js'
import { queueDestructionConfirmation, queuePrivacyVerificationCode } from '../../src/modules/privacy/mail.js'
import { createMailTransport, deliverMail } from '../../src/modules/notifications/delivery.js'
import { freePort } from '../helpers/payments.js'
import pino from 'pino'
import { loggerOptions } from '../../src/app.js'

/**
 * Against a real SMTP server: each message the flow sends
 * arrives at the payer's address with the facts it must tell, and never
 * with card data or a full IIN; a refusal is retried and, in the end,
 * shown to operators; a message exists only if its fact committed.
 */
const sink = await startSmtpSink(t)
const { app, base, config } = await createListeningApp(t, {
  MAIL_MODE: 'smtp',
  SMTP_URL: sink.url,
  MAIL_FROM: 'Эксперт Плюс <noreply@explus.kz>',
  MAIL_MAX_ATTEMPTS: '2'
})
await startTestWorker(t, app, config)
const operator = await createKey(app, ['operator'])
const asOperator = { authorization: operator.authorization }
const TEST_CARD = '4111 1111 1111 1111'

async function mailTo (address: string, subject: RegExp): Promise<ReceivedMail> {
  return await eventually(
    async () => sink.messages.find((m) => m.envelopeTo.includes(address) && subject.test(m.subject)),
    30_000
  )
}

/** What no email may carry: the card number (or its first six), the debtor's full IIN. */
function assertClean (t: Test, mail: ReceivedMail, iin: string): void {
  const all = `${mail.subject}\n${mail.text}`
  t.notOk(containsCardNumber(all), 'no card number')
  t.notOk(all.includes('411111'), 'not even the card\'s first six digits')
  t.notOk(all.includes(iin), 'no full IIN')
  t.match(mail.text, AGENCY_DEFAULTS.name, 'the agency\'s name')
  t.match(mail.text, AGENCY_DEFAULTS.supportEmail, 'its support contact (offer cl. 10)')
  t.match(mail.text, AGENCY_DEFAULTS.website)
  t.notOk(mail.raw.includes(SINK_PASSWORD), 'the SMTP credentials are nowhere in the message')
}

let payers = 0
async function paid (amount: number) {
  const email = `payer${++payers}@example.kz`
  const debt = await seedDebt(app, { outstanding: '50000.00', creditor: 'АО «Банк Кредит»' })
  const acceptance = await accept(base, debt.id, { fullName: 'Иванов Иван Иванович', email: email.toUpperCase(), phone: '8 (701) 234-56-78' })
  const payment = await (await startPayment(base, acceptance.id, amount)).json() as { id: string, redirectUrl: string }
  await submitAtBank(payment.redirectUrl, 'pay', TEST_CARD)
  return { debt, payment, email }
}

t.test('paying sends a receipt email to the payer', async (t) => {
  const { debt, payment, email } = await paid(1_234_500)
  const receipt = await mailTo(email, /Квитанция/)
  t.same(receipt.envelopeTo, [email], 'to the payer\'s address (normalised), and only there')
  t.equal(receipt.envelopeFrom, 'noreply@explus.kz')
  t.match(receipt.headers.get('from'), /noreply@explus\.kz/)
  t.match(receipt.subject, `Квитанция об оплате по договору ${debt.contract}`)
  const row = await app.db.selectFrom('payments').selectAll().where('id', '=', fromPublicId('payment', payment.id) as string).executeTakeFirstOrThrow()
  t.match(receipt.text, '12\u00a0345,00\u00a0₸', 'the amount, in tenge')
  t.match(receipt.text, `Договор: ${debt.contract}`)
  t.match(receipt.text, 'Кредитор: АО «Банк Кредит»')
  t.match(receipt.text, /Дата и время оплаты: \d\d\.\d\d\.\d{4} \d\d:\d\d \(время Алматы\)/)
  t.ok(row.bank_payment_id !== null && receipt.text.includes(`Номер платежа в банке: ${row.bank_payment_id}`), 'the bank\'s payment id')
  t.match(receipt.text, payment.id)
  t.match(receipt.text, 'Карта: •••• 1111', 'the card only by its last four digits')
  for (const requisite of [AGENCY_DEFAULTS.bin, AGENCY_DEFAULTS.iban, AGENCY_DEFAULTS.bic, AGENCY_DEFAULTS.bank, AGENCY_DEFAULTS.address]) t.match(receipt.text, requisite, 'the agency\'s requisites')
  assertClean(t, receipt, debt.iin)
  t.match(receipt.headers.get('message-id'), /^<[0-9a-f-]{36}@explus\.kz>$/, 'a message id per outbox row: a duplicate delivery is recognisable')

  const outbox = await (await fetch(`${base}/v1/admin/mail-outbox?status=sent`, { headers: asOperator })).json() as { data: Array<Record<string, unknown>> }
  t.match(outbox.data.find((m) => m.template === 'payment-receipt'), { status: 'sent', recipient: 'p***@example.kz', attempts: 1, lastError: null, sentAt: String })
  const stored = await app.db.selectFrom('mail_outbox').selectAll().execute()
  t.notOk(JSON.stringify(stored).includes(email), 'the outbox holds the address only encrypted')
})

t.test('a refund request is acknowledged, answered officially (approved, with the operator\'s text), and its payment reported', async (t) => {
  const { debt, payment, email } = await paid(1_000_000)
  const created = await postJson(`${base}/v1/refund-requests`, { paymentId: payment.id, email, amount: 400_000, reason: 'Оплатил лишнее' })
  t.equal(created.status, 201)
  const request = await created.json() as { id: string }
  const received = await mailTo(email, /получен/)
  t.match(received.subject, request.id)
  t.match(received.text, '4\u00a0000,00\u00a0₸')
  t.match(received.text, debt.contract)
  t.match(received.text, 'Официальный ответ агентства придёт на этот адрес')
  assertClean(t, received, debt.iin)

  const answer = 'Возврат одобрен: платёж оказался лишним. Деньги вернутся на карту.'
  t.equal((await postJson(`${base}/v1/admin/refund-requests/${request.id}/decision`, { decision: 'approve', responseText: answer }, asOperator)).status, 200)
  const approved = await mailTo(email, /возврат одобрен/)
  t.match(approved.text, answer, 'the operator\'s text, as written')
  t.match(approved.text, 'Это официальный ответ агентства')
  t.match(approved.text, /Срок возврата: не позднее \d\d\.\d\d\.\d{4}/)
  t.match(approved.text, '4\u00a0000,00\u00a0₸')
  assertClean(t, approved, debt.iin)

  const refunded = await mailTo(email, /Возврат .* отправлен на вашу карту/)
  t.match(refunded.text, 'Ваш запрос на возврат исполнен')
  t.match(refunded.text, 'Карта: •••• 1111')
  t.match(refunded.text, '4\u00a0000,00\u00a0₸')
  assertClean(t, refunded, debt.iin)
})

t.test('deciding a refund request sends the agency\'s answer to the payer\'s email: rejected', async (t) => {
  const { debt, payment, email } = await paid(500_000)
  const request = await (await postJson(`${base}/v1/refund-requests`, { paymentId: payment.id, email, reason: 'Передумал' })).json() as { id: string }
  t.equal((await postJson(`${base}/v1/admin/refund-requests/${request.id}/decision`, { decision: 'reject', responseText: 'Оснований для возврата нет: долг погашен этим платежом.' }, asOperator)).status, 200)
  const rejected = await mailTo(email, /в возврате отказано/)
  t.same(rejected.envelopeTo, [email])
  t.match(rejected.text, 'Оснований для возврата нет: долг погашен этим платежом.')
  t.match(rejected.text, request.id)
  assertClean(t, rejected, debt.iin)
})

t.test('the privacy code and the destruction confirmation', async (t) => {
  const expiresAt = new Date('2026-03-19T10:30:00Z')
  await app.db.transaction().execute(async (trx) => {
    await queuePrivacyVerificationCode(trx, app.pii, { email: 'subject@example.kz', code: '482913', expiresAt, language: 'ru' })
    await queueDestructionConfirmation(trx, recipientOf(app.pii, 'subject@example.kz'), {
      requestId: '0193b3f2-a4c0-7d1e-8b5a-2f6c9d0e1f23', confirmationNumber: 'PD-2026-000007', completedAt: new Date('2026-04-01T06:00:00Z'), confirmationUrl: `${base}/v1/privacy-requests/prv_x/confirmation`, language: 'ru'
    })
  })
  const code = await mailTo('subject@example.kz', /Код подтверждения/)
  t.match(code.subject, '482913', 'the code is in the subject')
  const kept = await eventually(async () => {
    const row = await app.db.selectFrom('mail_outbox').selectAll().where('template', '=', 'privacy-verification-code')
      .where('recipient_index', '=', recipientOf(app.pii, 'subject@example.kz').index).executeTakeFirst()
    return row?.status === 'sent' ? row : undefined
  })
  t.notOk(JSON.stringify([kept.data, kept.subject, kept.text_body]).includes('482913'), 'once sent, the outbox keeps the message without the code')
  t.match(code.text, 'Код подтверждения: 482913', 'and in the body')
  t.match(code.text, 'Код действует до 19.03.2026 15:30 (время Алматы)')
  t.match(code.text, AGENCY_DEFAULTS.supportEmail)
  const confirmation = await mailTo('subject@example.kz', /уничтожения/)
  t.match(confirmation.subject, 'PD-2026-000007')
  t.match(confirmation.text, 'п. 16 оферты')
  t.match(confirmation.text, '/confirmation')
})

t.test('a refusing mail server: retried with backoff, then shown to operators as failed, the address never in the error', async (t) => {
  const { email } = await paid(200_000)
  // the receipt is already on its way; the refusal hits the next message
  await mailTo(email, /Квитанция/)
  sink.refuse('refused@example.kz')
  await app.db.transaction().execute(async (trx) => {
    await queuePrivacyVerificationCode(trx, app.pii, { email: 'refused@example.kz', code: '111222', expiresAt: new Date(), language: 'ru' })
  })
  const failed = await eventually(async () => {
    const page = await (await fetch(`${base}/v1/admin/mail-outbox?status=failed`, { headers: asOperator })).json() as { data: Array<Record<string, any>> }
    return page.data.find((m) => m.template === 'privacy-verification-code')
  }, 40_000)
  t.match(failed, { id: /^msg_/, status: 'failed', attempts: 2, recipient: 'r***@example.kz', lastError: /550/, createdAt: String, sentAt: null, nextAttemptAt: null }, 'two attempts (MAIL_MAX_ATTEMPTS=2), then failed')
  t.notOk(String(failed.lastError).includes('refused@example.kz'), 'the mail server\'s answer is kept without the address')
  t.notOk(sink.messages.some((m) => m.envelopeTo.includes('refused@example.kz')))
  t.equal((await fetch(`${base}/v1/admin/mail-outbox?status=failed`)).status, 401, 'operators only')
})

t.test('a refusal once: the retry delivers it', async (t) => {
  sink.refuse('once@example.kz', 1)
  await app.db.transaction().execute(async (trx) => {
    await queuePrivacyVerificationCode(trx, app.pii, { email: 'once@example.kz', code: '333444', expiresAt: new Date(), language: 'ru' })
  })
  await mailTo('once@example.kz', /333444/)
  const row = await eventually(async () => {
    const found = await app.db.selectFrom('mail_outbox').selectAll().where('recipient_index', '=', recipientOf(app.pii, 'once@example.kz').index).executeTakeFirst()
    return found?.status === 'sent' ? found : undefined
  })
  t.equal(row.attempts, 2)
  t.equal(row.last_error, null)
})

t.test('a mail server that is down: the attempt fails, is kept for a retry, and the last one fails for good', async (t) => {
  const port = await freePort()
  const transport = createMailTransport({ mode: 'smtp', smtpUrl: `smtp://user:hunter2@127.0.0.1:${port}`, from: 'noreply@explus.kz', maxAttempts: 2 })
  t.teardown(() => { transport.close() })
  // not delivered by the app's worker: its job is taken away first
  const mailId = await app.db.transaction().execute(async (trx) => {
    await queuePrivacyVerificationCode(trx, app.pii, { email: 'down@example.kz', code: '555666', expiresAt: new Date(), language: 'ru' })
    const row = await trx.selectFrom('mail_outbox').select('id').where('recipient_index', '=', recipientOf(app.pii, 'down@example.kz').index).executeTakeFirstOrThrow()
    await sql`select graphile_worker.remove_job(${`mail:${row.id}`})`.execute(trx)
    return row.id
  })
  const deps = {
    db: app.db,
    pii: app.pii,
    config: { ...config, mail: { ...config.mail, maxAttempts: 2 } },
    transport,
    log: app.log
  }
  await t.rejects(deliverMail(deps, mailId, { number: 1, max: 25 }), 'the first attempt fails: graphile-worker will retry it')
  const waiting = await app.db.selectFrom('mail_outbox').selectAll().where('id', '=', mailId).executeTakeFirstOrThrow()
  t.match(waiting, { status: 'queued', attempts: 1, last_error: /ECONNREFUSED/ })
  t.ok(waiting.next_attempt_at !== null && waiting.next_attempt_at.getTime() > Date.now(), 'the next attempt is scheduled')
  t.notOk(String(waiting.last_error).includes('hunter2'))
  await deliverMail(deps, mailId, { number: 2, max: 25 })
  t.match(await app.db.selectFrom('mail_outbox').selectAll().where('id', '=', mailId).executeTakeFirstOrThrow(), { status: 'failed', attempts: 2, next_attempt_at: null })
})

t.test('the log names no address and no SMTP credentials', async (t) => {
  const lines: string[] = []
  const log = pino({ ...(loggerOptions('trace') as object) }, { write: (line: string) => { lines.push(line) } })
  const transport = createMailTransport({ ...config.mail })
  t.teardown(() => { transport.close() })
  sink.refuse('logged@example.kz', 1)
  const mailId = await app.db.transaction().execute(async (trx) => {
    await queuePrivacyVerificationCode(trx, app.pii, { email: 'logged@example.kz', code: '777888', expiresAt: new Date(), language: 'ru' })
    const row = await trx.selectFrom('mail_outbox').select('id').where('recipient_index', '=', recipientOf(app.pii, 'logged@example.kz').index).executeTakeFirstOrThrow()
    await sql`select graphile_worker.remove_job(${`mail:${row.id}`})`.execute(trx)
    return row.id
  })
  const deps = { db: app.db, pii: app.pii, config, transport, log }
  await t.rejects(deliverMail(deps, mailId, { number: 1, max: 25 }), { message: /550/ })
  await deliverMail(deps, mailId, { number: 2, max: 25 })
  t.ok(sink.messages.some((m) => m.envelopeTo.includes('logged@example.kz')), 'delivered on the second attempt')
  const logged = lines.join('')
  t.match(logged, 'will retry')
  t.match(logged, 'email delivered')
  t.notOk(logged.includes('logged@example.kz'), 'no recipient in the log')
  t.notOk(logged.includes(SINK_PASSWORD), 'no SMTP password in the log')
})

t.test('a rolled-back fact writes no mail', async (t) => {
  const debt = await seedDebt(app, { outstanding: '50000.00' })
  const acceptance = await accept(base, debt.id, { fullName: 'Петров Пётр', email: 'rollback@example.kz', phone: '87012345678' })
  const payment = await (await startPayment(base, acceptance.id, 300_000)).json() as { id: string }
  const id = fromPublicId('payment', payment.id) as string
  const jobsBefore = Number((await sql<{ n: string }>`select count(*) as n from graphile_worker.jobs where task_identifier = 'mail-deliver'`.execute(app.db)).rows[0]?.n)
  await t.rejects(app.db.transaction().execute(async (trx) => {
    t.equal(await settleSuccess(trx, id, { amount: 300_000n, currency: 'KZT', bankPaymentId: '991', cardMask: '4111-11XX-XXXX-1111', paidAt: new Date(), source: 'callback' }), 'paid')
    const inside = await trx.selectFrom('mail_outbox').select('template').where('recipient_index', '=', recipientOf(app.pii, 'rollback@example.kz').index).execute()
    t.same(inside, [{ template: 'payment-receipt' }], 'inside the transaction the receipt is queued with the settlement')
    throw new Error('the settlement fails after all')
  }), /fails after all/)
  t.equal((await app.db.selectFrom('payments').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status, 'pending')
  t.same(await app.db.selectFrom('mail_outbox').select('id').where('recipient_index', '=', recipientOf(app.pii, 'rollback@example.kz').index).execute(), [], 'no outbox row')
  const jobsAfter = Number((await sql<{ n: string }>`select count(*) as n from graphile_worker.jobs where task_identifier = 'mail-deliver'`.execute(app.db)).rows[0]?.n)
  t.ok(jobsAfter <= jobsBefore, 'and no delivery job')
  t.notOk(sink.messages.some((m) => m.envelopeTo.includes('rollback@example.kz')), 'nothing is sent')
})

t.test('in smtp mode there is no sandbox mailbox', async (t) => {
  t.equal((await fetch(`${base}/sandbox/mailbox`)).status, 404)
  t.equal(toPublicId('mail', '0193b3f2-a4c0-7d1e-8b5a-2f6c9d0e1f23').slice(0, 4), 'msg_')
})
