import t from 'tap'
import { sql } from 'kysely'
import { createPiiCipher, generateKey } from '../../src/lib/crypto.js'
import { fromPublicId } from '../../src/lib/ids.js'
import type { RefundRequestRow } from '../../src/modules/refunds/tables.js'
import { toAdminRefundRequest } from '../../src/modules/refunds/views.js'
import { createKey } from '../helpers/app.js'
import { accept, createListeningApp, PAYER, postJson, seedDebt, startPayment, submitAtBank } from '../helpers/payments.js'

/** DESIGN 20: an operator decides a refund request seeing the payer's written reason and who the payer is; audited. */
const { app, base } = await createListeningApp(t)
const operator = await createKey(app, ['operator'])
const admin = await createKey(app, ['admin'])
const partner = await createKey(app, ['partner'])

async function submittedRequest (reason: string): Promise<{ id: string, paymentId: string }> {
  const debt = await seedDebt(app, { outstanding: '50000.00' })
  const acceptance = await accept(base, debt.id)
  const payment = await (await startPayment(base, acceptance.id, 300_000)).json() as { id: string, redirectUrl: string }
  await submitAtBank(payment.redirectUrl)
  const created = await postJson(`${base}/v1/refund-requests`, { paymentId: payment.id, email: PAYER.email, reason })
  t.equal(created.status, 201, 'the payer asks for a refund')
  return { id: (await created.json() as { id: string }).id, paymentId: payment.id }
}

async function get (path: string, authorization?: string): Promise<{ status: number, body: Record<string, any> }> {
  const response = await fetch(`${base}${path}`, { headers: authorization === undefined ? {} : { authorization } })
  return { status: response.status, body: await response.json() as Record<string, any> }
}

async function payerReads (id: string): Promise<Array<Record<string, any>>> {
  const log = await get(`/v1/admin/audit-log?entityType=refund_request&entityId=${id}`, admin.authorization)
  return (log.body.data as Array<Record<string, any>>).filter((entry) => entry.action === 'refund_request.payer_read')
}

const PAYER_SHOWN = { fullName: PAYER.fullName, email: 'ivanov@example.kz', phone: '+77012345678' }

t.test('GET /v1/admin/refund-requests/{id}: the reason and the payer, decrypted; the read audit-logged', async (t) => {
  const request = await submittedRequest('Оплатил дважды по ошибке')
  const shown = await get(`/v1/admin/refund-requests/${request.id}`, operator.authorization)
  t.equal(shown.status, 200)
  t.match(shown.body, {
    id: request.id, status: 'submitted', paymentId: request.paymentId, amount: 300_000,
    reason: 'Оплатил дважды по ошибке', payer: PAYER_SHOWN
  })
  const reads = await payerReads(request.id)
  t.equal(reads.length, 1, 'one audit row for the read')
  t.match(reads[0], { actorKeyId: operator.id, entityType: 'refund_request', entityId: request.id })
  t.notOk(JSON.stringify(reads[0]).includes('Оплатил'), 'the audit row holds no reason')
  t.notOk(JSON.stringify(reads[0]).includes('ivanov'), 'nor the payer')

  const byAdmin = await get(`/v1/admin/refund-requests/${request.id}`, admin.authorization)
  t.equal(byAdmin.status, 200, 'an admin key may read it too')
  t.equal((await payerReads(request.id)).length, 2, 'and that read is audit-logged as well')

  const publicView = await get(`/v1/refund-requests/${request.id}`)
  t.equal(publicView.status, 200)
  t.notOk('reason' in publicView.body || 'payer' in publicView.body, 'the public view shows neither')
})

t.test('the list shows the reason and the payer; one audit row per request shown', async (t) => {
  const first = await submittedRequest('первая причина')
  const second = await submittedRequest('вторая причина')
  const listed = await get('/v1/admin/refund-requests?status=submitted&limit=100', operator.authorization)
  t.equal(listed.status, 200)
  const byId = new Map((listed.body.data as Array<Record<string, any>>).map((r) => [r.id, r]))
  t.match(byId.get(first.id), { reason: 'первая причина', payer: PAYER_SHOWN })
  t.match(byId.get(second.id), { reason: 'вторая причина', payer: PAYER_SHOWN })
  for (const shown of [first, second]) {
    t.match(await payerReads(shown.id), [{ actorKeyId: operator.id, entityId: shown.id }], `${shown.id} audited once`)
  }
  const adminList = await get('/v1/admin/refund-requests?status=submitted', admin.authorization)
  t.equal(adminList.status, 200, 'an admin key may list them')
})

t.test('an unknown id is 404 refund_request_not_found; a malformed one 400; a partner is refused', async (t) => {
  const missing = await get('/v1/admin/refund-requests/rfr_00000000000000000000000000000000', operator.authorization)
  t.equal(missing.status, 404)
  t.equal(missing.body.code, 'refund_request_not_found')
  const malformed = await get('/v1/admin/refund-requests/pay_00000000000000000000000000000000', operator.authorization)
  t.equal(malformed.status, 400)
  t.equal(malformed.body.code, 'validation_failed')

  const request = await submittedRequest('партнёру не видно')
  const asPartner = await get(`/v1/admin/refund-requests/${request.id}`, partner.authorization)
  t.equal(asPartner.status, 403)
  t.equal(asPartner.body.code, 'forbidden')
  t.equal((await get('/v1/admin/refund-requests', partner.authorization)).status, 403, 'nor the list')
  t.equal((await get(`/v1/admin/refund-requests/${request.id}`)).status, 401, 'nor without a key')
  t.equal((await payerReads(request.id)).length, 0, 'a refused read is not a read')
})

t.test('a reason under a key no longer configured: null in the list and the view (logged), never a 500', async (t) => {
  const request = await submittedRequest('причина под старым ключом')
  const gone = createPiiCipher({
    currentKeyId: 'gone', encryptionKeys: new Map([['gone', generateKey()]]), indexKey: generateKey()
  })
  const id = fromPublicId('refundRequest', request.id) as string
  await sql`update refund_requests set reason_encrypted = ${gone.encrypt('причина под старым ключом')} where id = ${id}`
    .execute(app.db)
  const listed = await get('/v1/admin/refund-requests?status=submitted&limit=100', operator.authorization)
  t.equal(listed.status, 200, 'the list is served')
  const entry = (listed.body.data as Array<Record<string, any>>).find((r) => r.id === request.id)
  t.match(entry, { reason: null, payer: PAYER_SHOWN }, 'the unreadable field is null, the rest shown')
  const shown = await get(`/v1/admin/refund-requests/${request.id}`, operator.authorization)
  t.equal(shown.status, 200)
  t.equal(shown.body.reason, null)

  // the view tells which request and field, never a value
  const row = (await sql<RefundRequestRow>`select * from refund_requests where id = ${id}`.execute(app.db)).rows[0]
  const told: unknown[] = []
  const view = toAdminRefundRequest(app.pii, row as RefundRequestRow, undefined, undefined, (where) => {
    told.push(where)
  })
  t.equal(view.reason, null)
  t.same(told, [{ refundRequestId: request.id, field: 'reason', error: 'unknown PII key id gone' }])
})
