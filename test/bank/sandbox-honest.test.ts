import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { sql } from 'kysely'
import { BankRejectedError } from '../../src/bank/provider.js'
import { underCallbackBase } from '../../src/bank/sandbox/scripts.js'
import { createDatabase } from '../../src/db/database.js'
import * as scrubbingMigration from '../../migrations/0009_sandbox_bank_honest.js'
import { createTestDatabase, eventually } from '../helpers/app.js'
import { MERCHANT_ID, PAY_WITH, paymentRequest, startMerchant, startSandbox, submitForm } from './bank-fixtures.js'

/**
 * The sandbox bank is honest: it calls back only under
 * the merchant's own public address, its retries survive a crash, and it
 * keeps no clear personal data.
 */
const APPROVING = '4111 1111 1111 1111'

/** A server that only counts what reaches it. */
async function startBystander (t: { teardown: (fn: () => unknown) => void }): Promise<{ url: string, hits: string[] }> {
  const hits: string[] = []
  const server = createServer((request, response) => {
    hits.push(`${request.method ?? ''} ${request.url ?? ''}`)
    response.end('ok')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits }
}

t.test('callback addresses must lie under the base, as the URL parser reads them', async (t) => {
  const base = new URL('https://pay.agency.kz/api')
  const accepted = ['https://pay.agency.kz/api', 'https://pay.agency.kz/api/v1/callbacks/bank/result', 'https://PAY.agency.kz:443/api/x?y=1', 'https://pay.agency.kz/api/%7Ex']
  const refused = [
    'https://pay.agency.kz/apix/cb', 'https://pay.agency.kz/', 'https://pay.agency.kz/api/../admin', 'https://pay.agency.kz/api/%2e%2e/admin',
    'http://pay.agency.kz/api/cb', 'https://pay.agency.kz:8443/api/cb', 'https://pay.agency.kz.evil.kz/api/cb',
    'https://pay.agency.kz@evil.kz/api/cb', 'https://user:pw@pay.agency.kz/api/cb', 'https://evil.kz/api/cb', 'not a url', ''
  ]
  for (const url of accepted) t.ok(underCallbackBase(url, base), `accepted: ${url}`)
  for (const url of refused) t.notOk(underCallbackBase(url, base), `refused: ${url}`)
  t.ok(underCallbackBase('http://127.0.0.1:3000/v1/callbacks/bank/check', new URL('http://127.0.0.1:3000')), 'a base without a path takes its whole origin')
  t.notOk(underCallbackBase('http://127.0.0.1:3001/v1/callbacks/bank/check', new URL('http://127.0.0.1:3000')), 'but not another port')
})

t.test('an init_payment with pg_result_url or pg_check_url at another host is refused, and nothing is ever called there', async (t) => {
  const merchant = await startMerchant(t)
  const sandbox = await startSandbox(t, { merchant, retryDelaysMs: [10] })
  const bystander = await startBystander(t)
  for (const overrides of [{ resultUrl: `${bystander.url}/steal` }, { checkUrl: `${bystander.url}/steal` }, { resultUrl: `${merchant.url}@127.0.0.1:${new URL(bystander.url).port}/steal` }]) {
    const error = await sandbox.acquirer.initPayment(paymentRequest(merchant, overrides))
      .catch((caught: unknown) => caught)
    t.ok(error instanceof BankRejectedError, 'refused')
    t.match(error, { bankErrorCode: '200', bankDescription: /pg_(result|check)_url$/ }, 'as an invalid parameter, signed')
  }
  const { rows } = await sql`select 1 from sandbox_bank_payments`.execute(sandbox.db)
  t.equal(rows.length, 0, 'no payment was created')

  // a payment the sandbox did take, paid and declined, calls only the merchant
  const allowed = await sandbox.acquirer.initPayment(paymentRequest(merchant))
  await submitForm(allowed.redirectUrl, PAY_WITH(APPROVING))
  t.equal(merchant.results.length, 1)
  t.same(bystander.hits, [], 'the other host received nothing')
})

t.test('a result the merchant could not take is delivered later by the poller, also by a new instance after a crash', async (t) => {
  const merchant = await startMerchant(t, { resultHttpStatuses: [500] })
  // this instance never polls: it "crashes" after its first attempt
  const first = await startSandbox(t, { merchant, retryDelaysMs: [10, 10], pollIntervalMs: 3_600_000 })
  const request = paymentRequest(merchant)
  const { bankPaymentId, redirectUrl } = await first.acquirer.initPayment(request)
  t.equal((await submitForm(redirectUrl, PAY_WITH(APPROVING))).headers.get('location'), request.successUrl)
  t.equal(merchant.results.length, 1, 'the first attempt was answered 500')
  const pending = await sql<{ attempts: number, delivered_at: Date | null, last_error: string }>`select attempts, delivered_at, last_error from sandbox_bank_callbacks where payment_id = ${bankPaymentId}`.execute(first.db)
  t.match(pending.rows, [{ attempts: 1, delivered_at: null, last_error: 'HTTP 500' }], 'the retry is a row in the database')
  await first.close()

  const second = await startSandbox(t, { merchant, databaseUrl: first.databaseUrl, retryDelaysMs: [10, 10] })
  await eventually(async () => merchant.results.length === 2)
  const delivered = await eventually(async () => {
    const { rows } = await sql<{ attempts: number, delivered_at: Date | null }>`select attempts, delivered_at from sandbox_bank_callbacks where payment_id = ${bankPaymentId}`.execute(second.db)
    return rows[0]?.delivered_at instanceof Date ? rows[0] : undefined
  })
  t.equal(delivered.attempts, 2, 'delivered by the new instance on its second attempt')
  t.same(merchant.results[1]?.params.pg_payment_id, bankPaymentId)
  t.ok(merchant.results[1]?.verified, 'signed like the first')
})

t.test('the sandbox stores no clear personal data, and the migration scrubs what older versions kept', async (t) => {
  const merchant = await startMerchant(t)
  const sandbox = await startSandbox(t, { merchant })
  const { bankPaymentId } = await sandbox.acquirer.initPayment(paymentRequest(merchant))
  const { rows } = await sql<{ params: Record<string, string> }>`select request_params as params from sandbox_bank_payments where id = ${bankPaymentId}`.execute(sandbox.db)
  t.notOk(['pg_user_phone', 'pg_user_contact_email', 'pg_user_ip'].some((name) => name in (rows[0]?.params ?? {})), 'no phone, email or IP in the stored request')
  t.match(rows[0]?.params, { pg_order_id: /^pay_/, pg_result_url: `${merchant.url}/cb/result` }, 'the rest is kept')

  // a database from before migration 0009, with a row as older versions stored it
  const url = await createTestDatabase(t)
  const handle = createDatabase(url, { max: 1 })
  t.teardown(async () => { await handle.close() })
  await sql`drop table sandbox_bank_callbacks, sandbox_bank_faults`.execute(handle.db)
  const old = { pg_order_id: 'pay_1', pg_user_phone: '77011234567', pg_user_contact_email: 'payer@example.kz', pg_user_ip: '192.0.2.10', custom: 'kept' }
  await sql`insert into sandbox_bank_payments (merchant_id, order_id, amount, currency, description, request_params, expires_at)
    values (${MERCHANT_ID}, 'pay_1', 100, 'KZT', 'x', ${JSON.stringify(old)}::jsonb, now())`.execute(handle.db)
  // the migration itself, as it runs on such a database (later ones already stand)
  await scrubbingMigration.up(handle.db)
  const scrubbed = await sql<{ params: Record<string, string> }>`select request_params as params from sandbox_bank_payments`.execute(handle.db)
  t.same(scrubbed.rows[0]?.params, { pg_order_id: 'pay_1', custom: 'kept' }, 'the phone, email and IP are gone')
})
