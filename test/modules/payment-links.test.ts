import t from 'tap'
import { createHash } from 'node:crypto'
import { sql } from 'kysely'
import { createKey } from '../helpers/app.js'
import { makeIin } from '../helpers/portfolio.js'
import {
  createListeningApp, outstandingOf, postJson, seedDebt, seedDebts, startPayment, submitAtBank, PAYER
} from '../helpers/payments.js'
import { isPaymentCode } from '../../src/lib/payment-code.js'
import { fromPublicId, toPublicId, uuidv7 } from '../../src/lib/ids.js'
import { pathWithoutPaymentLinkTokens } from '../../src/modules/payment-links/token.js'

/**
 * DESIGN 17 over real HTTP: every debt shows its payment code (never the IIN or the contract); operators and partners
 * make payment links, a letter's holder opens one, accepts the offer and pays through it, without the IIN and past
 * the contract's lookup lock; a token is shown once and kept hashed; unknown, revoked and expired tokens look alike.
 */
const { app, base } = await createListeningApp(t, {
  LOOKUP_RATE_LIMIT_PER_MINUTE: '999', LOOKUP_FAILURES_PER_CONTRACT: '3', LOOKUP_CONTRACT_LOCK_SECONDS: '900',
  AGENCY_WEBSITE: 'https://pay.example.kz/'
})
const operator = await createKey(app, ['operator'])
const CREDITOR_A = 'АО «Банк А»'
const CREDITOR_B = 'ТОО «Кредитор Б»'
const partnerA = await createKey(app, ['partner'], 'Bank A', [CREDITOR_A])

type Json = Record<string, any>

async function call (
  method: string, path: string, authorization?: string, body?: unknown
): Promise<{ status: number, body: Json }> {
  const headers: Record<string, string> = authorization === undefined ? {} : { authorization }
  if (body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  return { status: response.status, body: await response.json() as Json }
}

const makeLink = async (body: Json, authorization = operator.authorization, audience = 'admin') =>
  await call('POST', `/v1/${audience}/payment-links`, authorization, body)

async function lookup (contractNumber: string, iin: string): Promise<{ status: number, body: Json }> {
  return await call('POST', '/v1/debts/lookup', undefined, { contractNumber, iin })
}

async function acceptWith (reference: Json): Promise<{ status: number, body: Json }> {
  const offer = await (await fetch(`${base}/v1/offer`)).json() as { version: number, sha256: string }
  return await call('POST', '/v1/offer-acceptances', undefined, { offerVersion: offer.version, offerSha256: offer.sha256, ...reference, payer: PAYER, personalDataConsent: true })
}

/** The problem document without what differs per request. */
function problem (body: Json): Json {
  const { requestId: _requestId, ...rest } = body
  return rest
}

const digitsOf = (text: string): string => text.replace(/\D/g, '')

t.test('the payment code is in the lookup, the back office\'s and the partner\'s debt views, never the IIN or the contract', async (t) => {
  const debt = await seedDebt(app, { creditor: CREDITOR_A, contract: '12345678901', outstanding: '2500.00' })
  const found = await lookup(debt.contract, debt.iin)
  t.equal(found.status, 200)
  const code = found.body.paymentCode as string
  t.ok(isPaymentCode(code), `11 digits with a Luhn check digit (${code})`)
  t.not(code, digitsOf(debt.contract), 'not the contract number, even an all-digit one')
  t.notOk(debt.iin.includes(code) || code.includes(debt.iin.slice(0, 6)), 'nothing of the IIN')

  const listed = await call('GET', `/v1/admin/debts?paymentCode=${code}`, operator.authorization)
  t.equal(listed.status, 200)
  t.same(listed.body.data.map((d: Json) => [d.id, d.paymentCode]), [[debt.id, code]], 'the back office finds the debt by its code')
  const none = await call('GET', '/v1/admin/debts?paymentCode=79927398713', operator.authorization)
  t.same(none.body.data, [], 'an unknown code finds nothing')
  t.equal((await call('GET', '/v1/admin/debts?paymentCode=12345', operator.authorization)).status, 400, 'a malformed code is refused')

  const recalled = await call('PATCH', `/v1/admin/debts/${debt.id}`, operator.authorization, { status: 'recalled' })
  t.equal(recalled.body.paymentCode, code, 'the single debt view too, and the code stays')
  await call('PATCH', `/v1/admin/debts/${debt.id}`, operator.authorization, { status: 'active' })

  const partner = await call('GET', `/v1/partner/debts?contractNumber=${debt.contract}`, partnerA.authorization)
  t.equal(partner.status, 200)
  t.equal(partner.body.data[0]?.paymentCode, code, 'the partner sees it')
})

t.test('an operator makes a link: the token once, stored hashed, never listed', async (t) => {
  const debt = await seedDebt(app, { creditor: CREDITOR_B, outstanding: '3000.00' })
  const before = Date.now()
  const made = await makeLink({ debtId: debt.id, amount: 150_000 })
  t.equal(made.status, 201)
  const link = made.body
  t.match(link, { id: /^plk_[0-9a-f]{32}$/, debtId: debt.id, amount: 150_000, status: 'active', token: /^plt_[A-Za-z0-9_-]{32}$/ })
  t.equal(link.url, `https://pay.example.kz/pay/${link.token as string}`, 'AGENCY_WEBSITE + /pay/ + token')
  const days = (Date.parse(link.expiresAt) - before) / 86_400_000
  t.ok(days > 29.99 && days < 30.01, `expires in 30 days by default (${days})`)

  const stored = await sql<Json>`select * from payment_links where id = ${fromPublicId('paymentLink', link.id)}`.execute(app.db)
  t.equal(stored.rows.length, 1)
  t.equal(stored.rows[0]?.token_hash, createHash('sha256').update(link.token).digest('hex'), 'only its SHA-256 is kept')
  t.notOk(Object.values(stored.rows[0] ?? {}).some((value) => String(value).includes((link.token as string).slice(4))), 'no column holds the token')

  const listed = await call('GET', `/v1/admin/payment-links?debtId=${debt.id}`, operator.authorization)
  t.equal(listed.status, 200)
  t.same(listed.body.data.map((l: Json) => l.id), [link.id])
  t.same(Object.keys(listed.body.data[0]).sort(), ['amount', 'createdAt', 'debtId', 'expiresAt', 'id', 'revokedAt', 'status'])
  t.notOk(JSON.stringify(listed.body).includes(link.token), 'the list shows no token and no URL')
  t.equal((await call('GET', '/v1/admin/payment-links', operator.authorization)).status, 400, 'debtId is required')

  const audit = await call('GET', '/v1/admin/audit-log?limit=100', operator.authorization)
  const entry = audit.body.data.find((e: Json) => e.action === 'payment_link.created' && e.entityId === link.id)
  t.ok(entry, 'audit-logged')
  t.notOk(JSON.stringify(audit.body).includes(link.token), 'the audit log holds no token')
})

t.test('a link\'s page shows the lookup\'s answer and the amount; unknown, revoked, expired and unpayable look alike', async (t) => {
  const debt = await seedDebt(app, { outstanding: '4000.00' })
  const fixed = (await makeLink({ debtId: debt.id, amount: 200_000 })).body
  const open = (await makeLink({ debtId: debt.id })).body
  const opened = await call('GET', `/v1/payment-links/${fixed.token as string}`)
  t.equal(opened.status, 200)
  const looked = await lookup(debt.contract, debt.iin)
  t.same(opened.body, { ...looked.body, amount: 200_000 }, 'the lookup\'s answer plus the amount')
  t.equal((await call('GET', `/v1/payment-links/${open.token as string}`)).body.amount, null, 'null when the link fixes none')

  const revoked = (await makeLink({ debtId: debt.id })).body
  const first = await call('DELETE', `/v1/admin/payment-links/${revoked.id as string}`, operator.authorization)
  t.equal(first.status, 200)
  t.match(first.body, { id: revoked.id, status: 'revoked', revokedAt: /Z$/ })
  const again = await call('DELETE', `/v1/admin/payment-links/${revoked.id as string}`, operator.authorization)
  t.same(again.body, first.body, 'revoking twice answers the revoked link, as it was')
  const audit = await call('GET', '/v1/admin/audit-log?limit=100', operator.authorization)
  t.equal(audit.body.data.filter((e: Json) => e.action === 'payment_link.revoked' && e.entityId === revoked.id).length, 1, 'one revocation audited')

  const expired = (await makeLink({ debtId: debt.id })).body
  await sql`update payment_links set expires_at = now() - interval '1 second' where id = ${fromPublicId('paymentLink', expired.id)}`.execute(app.db)
  const listed = await call('GET', `/v1/admin/payment-links?debtId=${debt.id}`, operator.authorization)
  t.same(listed.body.data.map((l: Json) => l.status), ['active', 'active', 'revoked', 'expired'])

  const gone = await seedDebt(app)
  const unpayable = (await makeLink({ debtId: gone.id })).body
  await call('PATCH', `/v1/admin/debts/${gone.id}`, operator.authorization, { status: 'recalled' })

  const misses = await Promise.all([
    'plt_' + 'A'.repeat(32), revoked.token, expired.token, unpayable.token, 'something-else'
  ].map(async (token) => await call('GET', `/v1/payment-links/${encodeURIComponent(token as string)}`)))
  for (const miss of misses) t.equal(miss.status, 404)
  t.equal(misses[0]?.body.code, 'payment_link_not_found')
  for (const miss of misses.slice(1)) t.same(problem(miss.body), problem(misses[0]?.body ?? {}), 'nothing tells them apart')
})

t.test('accept and pay through a link that fixes the amount, end to end with the sandbox bank', async (t) => {
  const debt = await seedDebt(app, { creditor: CREDITOR_A, outstanding: '1500.00' })
  const link = (await makeLink({ debtId: debt.id, amount: 150_000 })).body
  const accepted = await acceptWith({ paymentLinkToken: link.token })
  t.equal(accepted.status, 201)
  t.equal(accepted.body.debtId, debt.id, 'the link names the debt')
  const stored = await sql<{ payment_link_id: string }>`select payment_link_id from acceptances where id = ${fromPublicId('acceptance', accepted.body.id)}`.execute(app.db)
  t.equal(stored.rows[0]?.payment_link_id, fromPublicId('paymentLink', link.id), 'the acceptance names its link')

  const other = await startPayment(base, accepted.body.id, 100_000)
  t.equal(other.status, 422)
  t.match(await other.json(), { code: 'amount_differs_from_link', linkAmount: 150_000, errors: [{ path: 'body.amount' }] })

  const started = await startPayment(base, accepted.body.id, 150_000)
  t.equal(started.status, 201)
  const payment = await started.json() as { id: string, redirectUrl: string }
  t.equal((await submitAtBank(payment.redirectUrl)).status, 303)
  t.equal((await (await fetch(`${base}/v1/payments/${payment.id}`)).json() as Json).status, 'succeeded')
  t.equal(await outstandingOf(app, debt.id), 0n)

  const events = await call('GET', '/v1/admin/events?type=debt.closed&limit=100', operator.authorization)
  const closed = events.body.data.find((e: Json) => e.data.object.id === debt.id)
  t.ok(isPaymentCode(closed?.data.object.paymentCode ?? ''), 'debt.closed carries the payment code')
  t.equal((await call('GET', `/v1/payment-links/${link.token as string}`)).status, 404, 'a settled debt\'s link leads nowhere')
})

t.test('a link without an amount takes any amount; a link revoked after the acceptance starts no payment', async (t) => {
  const debt = await seedDebt(app, { outstanding: '5000.00' })
  const free = (await makeLink({ debtId: debt.id })).body
  const accepted = (await acceptWith({ paymentLinkToken: free.token })).body
  t.equal((await startPayment(base, accepted.id, 123_400)).status, 201)

  const revoked = (await makeLink({ debtId: debt.id })).body
  const acceptance = (await acceptWith({ paymentLinkToken: revoked.token })).body
  await call('DELETE', `/v1/admin/payment-links/${revoked.id as string}`, operator.authorization)
  const refused = await startPayment(base, acceptance.id, 100_000)
  t.equal(refused.status, 404)
  t.equal((await refused.json() as Json).code, 'payment_link_not_found')
  const again = await acceptWith({ paymentLinkToken: revoked.token })
  t.equal(again.status, 404)
  t.equal(again.body.code, 'payment_link_not_found', 'and no new acceptance through it')
})

t.test('an acceptance names its debt exactly once', async (t) => {
  const debt = await seedDebt(app)
  const link = (await makeLink({ debtId: debt.id })).body
  for (const reference of [{}, { debtId: debt.id, paymentLinkToken: link.token }]) {
    const refused = await acceptWith(reference)
    t.equal(refused.status, 422)
    t.equal(refused.body.code, 'invalid_debt_reference')
  }
  t.equal((await acceptWith({ debtId: debt.id })).status, 201, 'the lookup\'s debtId still works')
})

t.test('a valid link passes the contract\'s lookup lock: the letter proves possession', async (t) => {
  const debt = await seedDebt(app, { outstanding: '2000.00' })
  const link = (await makeLink({ debtId: debt.id })).body
  for (let i = 0; i < 3; i++) t.equal((await lookup(debt.contract, makeIin(900_000 + i))).status, 404)
  t.equal((await lookup(debt.contract, debt.iin)).status, 404, 'the contract is locked: the right IIN gets the 404 too')
  const opened = await call('GET', `/v1/payment-links/${link.token as string}`)
  t.equal(opened.status, 200)
  t.equal(opened.body.debtId, debt.id)
  t.equal((await acceptWith({ paymentLinkToken: link.token })).status, 201)
})

t.test('what a link refuses at creation', async (t) => {
  const debt = await seedDebt(app, { outstanding: '1000.00' })
  const cases: Array<[Json, number, string]> = [
    [{ debtId: debt.id, amount: 9_999 }, 422, 'amount_below_minimum'],
    [{ debtId: debt.id, amount: 100_001 }, 422, 'amount_exceeds_outstanding'],
    [{ debtId: debt.id, expiresAt: new Date(Date.now() - 1000).toISOString() }, 422, 'invalid_expiry'],
    [{ debtId: debt.id, expiresAt: new Date(Date.now() + 366 * 86_400_000).toISOString() }, 422, 'invalid_expiry'],
    [{ debtId: toPublicId('debt', uuidv7()) }, 404, 'debt_not_found'],
    [{ debtId: debt.id, amount: '1000' }, 400, 'validation_failed']
  ]
  for (const [body, status, code] of cases) {
    const refused = await makeLink(body)
    t.equal(refused.status, status, code)
    t.equal(refused.body.code, code)
  }
  const expiresAt = new Date(Date.now() + 7 * 86_400_000).toISOString()
  t.equal((await makeLink({ debtId: debt.id, expiresAt })).body.expiresAt, expiresAt, 'an expiry of one\'s choice')
  await call('PATCH', `/v1/admin/debts/${debt.id}`, operator.authorization, { status: 'recalled' })
  t.equal((await makeLink({ debtId: debt.id })).body.code, 'debt_not_payable')
  const partner = await call('POST', '/v1/admin/payment-links', partnerA.authorization, { debtId: debt.id })
  t.equal(partner.status, 403, 'a partner key is not the back office')
})

t.test('a batch for a mailing: up to 1000 debts, all or nothing', async (t) => {
  const ids = (await seedDebts(app, 1000, { creditor: 'ТОО «Рассылка»' })).map((debt) => debt.id)
  const count = async (): Promise<number> => Number((await sql<{ n: string }>`select count(*) as n from payment_links`.execute(app.db)).rows[0]?.n)
  const before = await count()

  const closed = await seedDebt(app, { outstanding: '0.00' })
  const unknown = toPublicId('debt', uuidv7())
  const refused = await call('POST', '/v1/admin/payment-links/batch', operator.authorization, { debtIds: [ids[0], closed.id, unknown] })
  t.equal(refused.status, 422)
  t.match(refused.body, {
    code: 'debts_not_linkable',
    debtIds: [closed.id, unknown],
    errors: [{ path: 'body.debtIds.1', message: 'not payable (closed)' }, { path: 'body.debtIds.2', message: 'no debt with this id' }]
  })
  t.equal(await count(), before, 'nothing was made')
  const tooMany = await call('POST', '/v1/admin/payment-links/batch', operator.authorization, { debtIds: [...ids, unknown] })
  t.equal(tooMany.status, 400, '1001 debts are refused by the schema')
  t.equal((await call('POST', '/v1/admin/payment-links/batch', operator.authorization, { debtIds: [] })).status, 400)
  t.equal((await call('POST', '/v1/admin/payment-links/batch', operator.authorization, { debtIds: [ids[0], ids[0]] })).status, 400, 'each debt once')

  const made = await call('POST', '/v1/admin/payment-links/batch', operator.authorization, { debtIds: ids })
  t.equal(made.status, 201)
  t.equal(made.body.data.length, 1000)
  t.same(made.body.data.map((l: Json) => l.debtId), ids, 'one link per debt, in the order asked')
  t.equal(new Set(made.body.data.map((l: Json) => l.token)).size, 1000, 'each with its own token')
  t.ok(made.body.data.every((l: Json) => l.status === 'active' && l.amount === null && l.url.endsWith(l.token)))
  t.equal(await count(), before + 1000)
  const opened = await call('GET', `/v1/payment-links/${made.body.data[999].token as string}`)
  t.equal(opened.body.debtId, ids[999])
  t.equal((await call('POST', '/v1/partner/payment-links/batch', partnerA.authorization, { debtIds: [ids[0]] })).status, 404, 'the batch is the back office\'s')
})

t.test('a partner makes, lists and revokes links on its creditors\' debts only', async (t) => {
  const own = await seedDebt(app, { creditor: CREDITOR_A, outstanding: '2000.00' })
  const foreign = await seedDebt(app, { creditor: CREDITOR_B, outstanding: '2000.00' })
  const made = await makeLink({ debtId: own.id, amount: 100_000 }, partnerA.authorization, 'partner')
  t.equal(made.status, 201)
  t.match(made.body, { debtId: own.id, token: /^plt_/, status: 'active' })
  const theirs = await makeLink({ debtId: foreign.id }, partnerA.authorization, 'partner')
  t.equal(theirs.status, 404)
  t.same(problem(theirs.body), problem((await makeLink({ debtId: toPublicId('debt', uuidv7()) }, partnerA.authorization, 'partner')).body), 'another creditor\'s debt is an unknown one')

  const listed = await call('GET', `/v1/partner/payment-links?debtId=${own.id}`, partnerA.authorization)
  t.same(listed.body.data.map((l: Json) => l.id), [made.body.id])
  t.equal((await call('GET', `/v1/partner/payment-links?debtId=${foreign.id}`, partnerA.authorization)).status, 404)

  const operatorsLink = (await makeLink({ debtId: foreign.id })).body
  const denied = await call('DELETE', `/v1/partner/payment-links/${operatorsLink.id as string}`, partnerA.authorization)
  t.equal(denied.status, 404)
  t.equal(denied.body.code, 'payment_link_not_found')
  t.equal((await call('GET', `/v1/payment-links/${operatorsLink.token as string}`)).status, 200, 'the other creditor\'s link still works')
  const revoked = await call('DELETE', `/v1/partner/payment-links/${made.body.id as string}`, partnerA.authorization)
  t.equal(revoked.body.status, 'revoked')
  t.equal((await call('POST', '/v1/partner/payment-links', operator.authorization, { debtId: own.id })).status, 403, 'an operator key is not a partner')

  const audit = await call('GET', '/v1/admin/audit-log?limit=100', operator.authorization)
  const actions = audit.body.data.filter((e: Json) => e.entityId === made.body.id).map((e: Json) => e.action).sort()
  t.same(actions, ['payment_link.created', 'payment_link.revoked'], 'the partner\'s writes are audit-logged')
})

t.test('a token never reaches the log: the path is withheld', async (t) => {
  t.equal(pathWithoutPaymentLinkTokens('/v1/payment-links/plt_abcDEF123'), '/v1/payment-links/[withheld]')
  t.equal(pathWithoutPaymentLinkTokens('/v1/payment-links/%70lt_abc'), '/v1/payment-links/[withheld]')
  t.equal(pathWithoutPaymentLinkTokens('/v1/payment%2Dlinks/plt_abcDEF123'), '/v1/payment-links/[withheld]',
    'an escaped path, as the router decodes it')
  t.notMatch(pathWithoutPaymentLinkTokens('/v1/x/plt_abcDEF123456'), /plt_abcDEF/, 'a token anywhere')
  const id = toPublicId('paymentLink', uuidv7())
  t.equal(pathWithoutPaymentLinkTokens(`/v1/admin/payment-links/${id}`), `/v1/admin/payment-links/${id}`)
  t.equal(pathWithoutPaymentLinkTokens('/v1/admin/payment-links/batch'), '/v1/admin/payment-links/batch')
})

t.test('opening links is rate limited like the lookup', async (t) => {
  const limitOf = (response: Response): string | null => response.headers.get('x-ratelimit-limit')
  const link = await fetch(`${base}/v1/payment-links/plt_unknown`)
  const looked = await postJson(`${base}/v1/debts/lookup`, { contractNumber: 'КД-0000001', iin: makeIin(1) })
  const offer = await fetch(`${base}/v1/offer`)
  t.equal(limitOf(link), '999', 'LOOKUP_RATE_LIMIT_PER_MINUTE')
  t.equal(limitOf(link), limitOf(looked), 'the lookup\'s limit')
  t.not(limitOf(offer), limitOf(link), 'not the general one')
})

t.test('a link is made with Idempotency-Key once', async (t) => {
  const debt = await seedDebt(app)
  const key = `links-${uuidv7()}`
  const first = await postJson(`${base}/v1/admin/payment-links`, { debtId: debt.id }, { authorization: operator.authorization, 'idempotency-key': key })
  const second = await postJson(`${base}/v1/admin/payment-links`, { debtId: debt.id }, { authorization: operator.authorization, 'idempotency-key': key })
  t.equal(second.headers.get('idempotent-replayed'), 'true')
  t.same(await second.json(), await first.json(), 'the same link, its token included, for the retry')
})
