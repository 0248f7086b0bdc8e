import t from 'tap'
import { sql } from 'kysely'
import { createKey, eventually, startTestWorker } from '../helpers/app.js'
import { createListeningApp, seedDebt, submitAtBank } from '../helpers/payments.js'
import { makeIin } from '../helpers/portfolio.js'
import { startSmtpSink } from '../helpers/smtp.js'
import { randomSalt, signParams } from '../../src/bank/signature.js'
import { emailIndex, iinIndex, ipIndex, phoneIndex } from '../../src/lib/blind-index.js'

/**
 * After an erasure completes, no table holds the person's
 * name, email, phone, IIN or IP: not in clear, not as a ciphertext that still
 * decrypts to them, not as a blind index that still matches them. The story
 * touches every place the data goes: acceptances, payments with a return URL
 * that names the payer, the bank's callbacks (late, unmatched and forged
 * ones too), the sandbox bank, a refund request with the operator's answer,
 * a return with its reason, idempotency records, the mail outbox, the
 * stranger's unverified request, the audit log. A second payer, who does not
 * withdraw, shows the scan finds what is there.
 */
const sink = await startSmtpSink(t)
const { app, base, config } = await createListeningApp(t, {
  MAIL_MODE: 'smtp',
  SMTP_URL: sink.url,
  MAIL_FROM: 'noreply@explus.kz',
  // the payer's address comes in X-Forwarded-For, so it differs from the operator's (127.0.0.1)
  TRUST_PROXY: 'true',
  PRIVACY_REQUESTS_PER_IP_PER_HOUR: '1000'
})
await startTestWorker(t, app, config)
const operator = await createKey(app, ['operator'])
const asOperator = { authorization: operator.authorization }

const PERSON = {
  fullName: 'Сейткалиева Айгерим Нурлановна',
  typedEmail: 'Aigerim.Seitkali@Example.KZ',
  email: 'aigerim.seitkali@example.kz',
  typedPhone: '8 (707) 555-12-34',
  phone: '+77075551234',
  iin: makeIin(8_123_456),
  ip: '203.0.113.77'
}
const CONTROL = { fullName: 'Контрольный Плательщик Остаётся', email: 'control.stays@example.kz', phone: '+77019876543', ip: '198.51.100.23' }

async function post (
  path: string, body: unknown, headers: Record<string, string> = {}
): Promise<{ status: number, body: Record<string, any> }> {
  const response = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
  const text = await response.text()
  return { status: response.status, body: text === '' ? {} : JSON.parse(text) as Record<string, any> }
}
async function get (path: string, headers: Record<string, string> = {}): Promise<Record<string, any>> {
  return await (await fetch(`${base}${path}`, { headers })).json() as Record<string, any>
}

async function acceptAs (
  payer: { fullName: string, email: string, phone: string, ip: string }, debtId: string
): Promise<string> {
  const offer = await get('/v1/offer')
  const accepted = await post('/v1/offer-acceptances', {
    offerVersion: offer.version,
    offerSha256: offer.sha256,
    debtId,
    payer: { fullName: payer.fullName, email: payer.email, phone: payer.phone },
    personalDataConsent: true
  }, { 'x-forwarded-for': payer.ip, 'idempotency-key': `acc-${payer.ip}-${debtId}`, 'user-agent': `Mozilla/5.0 (${payer.email.split('@')[0] as string}-laptop)` })
  if (accepted.status !== 201) throw new Error(`acceptance refused: ${JSON.stringify(accepted.body)}`)
  return accepted.body.id as string
}

async function pay (acceptanceId: string, ip: string, amount: number, returnUrl?: string): Promise<string> {
  const started = await post('/v1/payments', { acceptanceId, amount, currency: 'KZT', ...(returnUrl === undefined ? {} : { returnUrl }) }, { 'x-forwarded-for': ip, 'idempotency-key': `pay-${acceptanceId}-${amount}` })
  if (started.status !== 201) throw new Error(`payment refused: ${JSON.stringify(started.body)}`)
  await submitAtBank(started.body.redirectUrl as string)
  await eventually(async () => (await get(`/v1/payments/${started.body.id as string}`)).status === 'succeeded')
  return started.body.id as string
}

/** A callback as the bank signs it, with the payer's contacts the live bank echoes. */
async function bankCallback (kind: 'check' | 'result', params: Record<string, string>, secret = config.bank.secretKey): Promise<number> {
  const signed: Record<string, string> = { ...params, pg_salt: randomSalt() }
  signed.pg_sig = signParams(kind, signed, secret)
  const response = await fetch(`${base}/v1/callbacks/bank/${kind}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(signed).toString() })
  return response.status
}
function echoed (person: { email: string, phone: string, ip: string }): Record<string, string> {
  return { pg_user_contact_email: person.email, pg_user_phone: person.phone.replace(/\D/g, ''), pg_user_ip: person.ip, pg_card_owner: person.email.split('@')[0]?.toUpperCase() ?? '' }
}

// --- the scan ------------------------------------------------------------------

interface Finding { table: string, column: string, how: 'clear' | 'decrypts' | 'blind index', value: string }

/** Every text-like, jsonb and bytea column of every table in every schema but the system's. */
async function scan (needles: string[], indexes: Map<string, string>): Promise<Finding[]> {
  const columns = await sql<{ schema: string, table: string, column: string, type: string }>`
    select c.table_schema as schema, c.table_name as table, c.column_name as column, c.data_type as type
    from information_schema.columns c join information_schema.tables t using (table_schema, table_name)
    where t.table_type = 'BASE TABLE' and c.table_schema not in ('pg_catalog', 'information_schema')
      and c.data_type in ('text', 'character varying', 'character', 'jsonb', 'json', 'bytea', 'ARRAY', 'USER-DEFINED')
    order by 1, 2, 3`.execute(app.db)
  const lowered = needles.map((n) => n.toLowerCase())
  const findings: Finding[] = []
  const inspect = (table: string, column: string, value: string): void => {
    const lower = value.toLowerCase()
    for (const needle of lowered) if (lower.includes(needle)) findings.push({ table, column, how: 'clear', value: needle })
    const index = indexes.get(value)
    if (index !== undefined) findings.push({ table, column, how: 'blind index', value: index })
    for (const candidate of value.match(/v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+/g) ?? []) {
      let plain: string
      try { plain = app.pii.decrypt(candidate).toLowerCase() } catch { continue }
      for (const needle of lowered) if (plain.includes(needle)) findings.push({ table, column, how: 'decrypts', value: needle })
    }
  }
  for (const { schema, table, column, type } of columns.rows) {
    const expression = type === 'bytea' ? sql`convert_from(${sql.ref(column)}, 'UTF8')` : sql`${sql.ref(column)}::text`
    const rows = await sql<{ value: string | null }>`select ${expression} as value from ${sql.table(`${schema}.${table}`)}`.execute(app.db)
      .catch(async () => await sql<{ value: string | null }>`select encode(${sql.ref(column)}::bytea, 'escape') as value from ${sql.table(`${schema}.${table}`)}`.execute(app.db))
    for (const row of rows.rows) if (row.value !== null) inspect(`${schema}.${table}`, column, row.value)
  }
  return findings
}

function needlesOf (person: { fullName: string, email: string, phone: string, ip: string, iin?: string }): string[] {
  const digits = person.phone.replace(/\D/g, '')
  // the email's local part alone too: it is in the user agent and the card owner's name
  return [person.fullName, person.fullName.split(' ')[0] as string, person.email, person.email.split('@')[0] as string, person.phone, digits, digits.slice(1), person.ip, ...(person.iin === undefined ? [] : [person.iin])]
}
function indexesOf (person: { email: string, ip: string, phone: string, iin?: string }): Map<string, string> {
  const entries: Array<[string, string]> = [
    [emailIndex(app.pii, person.email), 'email'], [ipIndex(app.pii, person.ip), 'ip'], [phoneIndex(app.pii, person.phone), 'phone']
  ]
  if (person.iin !== undefined) entries.push([iinIndex(app.pii, person.iin), 'iin'])
  return new Map(entries)
}

t.test('after the erasure completes, the database holds nothing of the person', async (t) => {
  // The debts are the creditors' (another legal basis): their debtors are other people.
  const debt = await seedDebt(app, { outstanding: '90000.00' })
  const controlDebt = await seedDebt(app, { outstanding: '90000.00' })

  const acceptance = await acceptAs({ ...PERSON, email: PERSON.typedEmail, phone: PERSON.typedPhone }, debt.id)
  // a return URL naming her, on our own origin (the sandbox bank sends payers only there or to the agency's website)
  const first = await pay(acceptance, PERSON.ip, 600_000, `${base}/pay/done?payer=${PERSON.email}`)
  const second = await pay(acceptance, PERSON.ip, 300_000)
  const controlAcceptance = await acceptAs(CONTROL, controlDebt.id)
  await pay(controlAcceptance, CONTROL.ip, 200_000)

  // a refund request, answered by an operator who names the person
  const request = await post('/v1/refund-requests', { paymentId: first, email: PERSON.typedEmail, amount: 100_000, reason: `Прошу вернуть. ${PERSON.fullName}, тел. ${PERSON.phone}` }, { 'x-forwarded-for': PERSON.ip, 'idempotency-key': 'refund-request-1' })
  t.equal(request.status, 201)
  t.equal((await post(`/v1/admin/refund-requests/${request.body.id as string}/decision`, { decision: 'approve', responseText: `Уважаемая ${PERSON.fullName}, возврат одобрен.` }, asOperator)).status, 200)
  // the other payment returned as suspicious, the reason naming her
  t.equal((await post(`/v1/admin/payments/${second}/return`, { reason: `Платёж ${PERSON.fullName} (${PERSON.email}) признан подозрительным` }, asOperator)).status, 202)
  await eventually(async () => (await get(`/v1/payments/${second}`)).status === 'returned')
  await eventually(async () => (await get(`/v1/refund-requests/${request.body.id as string}`)).status === 'completed')

  // the bank's callbacks: one for no known payment, one with a forged signature for hers
  t.equal(await bankCallback('result', { pg_order_id: 'pay_0000000000000000000000000000dead', pg_payment_id: '999', pg_amount: '1.00', pg_currency: 'KZT', pg_result: '1', ...echoed(PERSON) }), 200)
  t.equal(await bankCallback('result', { pg_order_id: first, pg_payment_id: '1', pg_amount: '6000.00', pg_currency: 'KZT', pg_result: '1', ...echoed(PERSON) }, 'not-the-secret'), 200)

  // a stranger's request for her email: never verified
  t.equal((await post('/v1/privacy-requests', { email: PERSON.email, fullName: `${PERSON.fullName} (не она)` }, { 'x-forwarded-for': '192.0.2.200' })).status, 201)

  const before = await scan(needlesOf(PERSON), indexesOf(PERSON))
  for (const table of ['public.acceptances', 'public.payments', 'public.refund_requests', 'public.refunds', 'public.mail_outbox', 'public.privacy_requests', 'public.idempotency_keys', 'public.sandbox_bank_payments']) {
    t.ok(before.some((f) => f.table === table), `before: the scan finds her in ${table}`)
  }

  // Her own request, with her IIN, verified with the code she received.
  const asked = await post('/v1/privacy-requests', { email: PERSON.typedEmail, fullName: PERSON.fullName, iin: PERSON.iin }, { 'x-forwarded-for': PERSON.ip })
  t.equal(asked.status, 201)
  // Two codes reached her address (the stranger's request made one); the mails
  // may arrive in any order, so she tries them.
  const codeMails = await eventually(async () => {
    const found = sink.messages.filter((m) => m.envelopeTo.includes(PERSON.email) && /Код подтверждения/.test(m.subject))
    return found.length === 2 ? found : undefined
  }, 30_000)
  const answers: number[] = []
  for (const mail of codeMails) {
    const status = (await post(`/v1/privacy-requests/${asked.body.id as string}/verify`, { code: /(\d{6})/.exec(mail.subject)?.[1] }, { 'x-forwarded-for': PERSON.ip })).status
    answers.push(status)
    if (status === 200) break
  }
  t.equal(answers.at(-1), 200, 'her code verifies her request')
  const done = await eventually(async () => {
    const state = await get(`/v1/privacy-requests/${asked.body.id as string}`)
    return state.status === 'completed' ? state : undefined
  }, 30_000)
  t.equal(done.status, 'completed')
  const confirmation = await eventually(async () => sink.messages.find((m) => m.envelopeTo.includes(PERSON.email) && /уничтожения/.test(m.subject)), 30_000)
  t.match(confirmation.text, `/v1/privacy-requests/${asked.body.id as string}/confirmation`, 'the confirmation is emailed')
  // the outbox forgets the address once the confirmation is handed over
  await eventually(async () => (await get('/v1/admin/mail-outbox?limit=100', asOperator)).data.find((m: Record<string, any>) => m.template === 'privacy-destruction-confirmation' && m.status === 'sent'))

  // Callbacks after the erasure: a late check for her payment, a repeated result.
  t.equal(await bankCallback('check', { pg_order_id: first, pg_payment_id: '1', pg_amount: '6000.00', pg_currency: 'KZT', ...echoed(PERSON) }), 200)
  t.equal(await bankCallback('result', { pg_order_id: first, pg_payment_id: '1', pg_amount: '6000.00', pg_currency: 'KZT', pg_result: '1', pg_payment_date: '2026-11-25 15:02:11', ...echoed(PERSON) }), 200)

  const after = await scan(needlesOf(PERSON), indexesOf(PERSON))
  t.same(after, [], 'nothing of her remains: in clear, decryptable, or as a blind index')

  const control = await scan(needlesOf(CONTROL), indexesOf(CONTROL))
  t.ok(control.some((f) => f.table === 'public.acceptances' && f.how === 'decrypts'), 'the other payer\'s data is untouched')
  t.ok(control.some((f) => f.how === 'blind index'), 'and still found by its index')

  // The money facts stay.
  t.match(await get(`/v1/payments/${first}`), { status: 'succeeded', amount: 600_000 })
  t.match(await get(`/v1/payments/${second}`), { status: 'returned' })
  const audit = await get(`/v1/admin/audit-log?entityType=privacy_request&entityId=${asked.body.id as string}`, asOperator)
  t.ok(Array.isArray(audit.data) && audit.data.some((e: Record<string, any>) => e.action === 'privacy_request.completed'), 'the audit log records that the erasure happened')
})
