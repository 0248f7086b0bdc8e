import type { FastifyInstance } from 'fastify'
import { freePort } from '../../src/lib/free-port.js'
import { createTestApp, type TestApp, type TestAppOptions } from './app.js'
import { makeRow, type PortfolioRow } from './portfolio.js'
import { formatMinorUnits, parseMajorUnits } from '../../src/lib/money.js'
import { signParams } from '../../src/bank/signature.js'
import { normalizeContractNumber } from '../../src/lib/names.js'
import { fromPublicId, toPublicId, uuidv7 } from '../../src/lib/ids.js'
import { applyDebtRows } from '../../src/modules/debts/import-service.js'
import { claimPayments } from '../../src/modules/payments/claims.js'
import { iinIndex } from '../../src/lib/blind-index.js'
import { findDebt } from '../../src/modules/debts/service.js'

/** The payment flow over real HTTP: the app listens, and its sandbox bank calls it back. */
interface Teardown { teardown: (fn: () => unknown) => void }

export { freePort }

export async function createListeningApp (
  t: Teardown, env: Record<string, string> = {}, options: TestAppOptions = {}
): Promise<TestApp & { base: string }> {
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const created = await createTestApp(t, { PUBLIC_BASE_URL: base, ...env }, options)
  await created.app.listen({ port, host: '127.0.0.1' })
  return { ...created, base }
}

let seeds = 500_000
/** A debt written the way the import writes it (same service, same keys, its claim in the ledger). */
export async function seedDebt (
  app: FastifyInstance, overrides: Partial<PortfolioRow> = {}
): Promise<PortfolioRow & { id: string }> {
  return (await seedDebts(app, 1, overrides))[0] as PortfolioRow & { id: string }
}

/** Many debts at once, in one transaction, as seedDebt writes one. */
export async function seedDebts (
  app: FastifyInstance, count: number, overrides: Partial<PortfolioRow> = {}
): Promise<Array<PortfolioRow & { id: string }>> {
  const seeded = Array.from({ length: count }, () => ({ id: uuidv7(), row: makeRow(seeds++, overrides) }))
  const reference = { type: 'debt' as const, id: count === 1 ? (seeded[0] as { id: string }).id : uuidv7() }
  await app.db.transaction().execute(async (trx) => await applyDebtRows(trx, seeded.map(({ id, row }) => ({
    id,
    contract_number: row.contract,
    contract_number_normalized: normalizeContractNumber(row.contract),
    debtor_iin_encrypted: app.pii.encrypt(row.iin),
    debtor_iin_index: iinIndex(app.pii, row.iin),
    debtor_name_encrypted: app.pii.encrypt(row.name),
    creditor: row.creditor,
    currency: 'KZT',
    claim_amount: parseMajorUnits(row.outstanding) as bigint,
    source_hash: `seed-${id}`,
    import_id: null
  })), reference, claimPayments))
  return seeded.map(({ id, row }) => ({ ...row, id: toPublicId('debt', id) }))
}

export async function postJson (url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
}

export const PAYER = { fullName: 'Иванов Иван Иванович', email: 'Ivanov@Example.kz', phone: '8 (701) 234-56-78' }

export async function accept (base: string, debtId: string, payer = PAYER): Promise<{ id: string }> {
  const offer = await (await fetch(`${base}/v1/offer`)).json() as { version: number, sha256: string }
  const response = await postJson(`${base}/v1/offer-acceptances`, { offerVersion: offer.version, offerSha256: offer.sha256, debtId, payer, personalDataConsent: true })
  if (response.status !== 201) throw new Error(`acceptance refused: ${await response.text()}`)
  return await response.json() as { id: string }
}

export async function startPayment (base: string, acceptanceId: string, amount: number, key = `key-${uuidv7()}`, extra: Record<string, unknown> = {}): Promise<Response> {
  return await postJson(`${base}/v1/payments`, { acceptanceId, amount, currency: 'KZT', ...extra }, { 'idempotency-key': key })
}

/** The payer on the bank's hosted page: Pay (or Decline) with a test card. */
export async function submitAtBank (redirectUrl: string, action: 'pay' | 'decline' = 'pay', card = '4111 1111 1111 1111'): Promise<Response> {
  return await fetch(redirectUrl, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ action, card_number: card, card_expiry: '12/39', card_holder: 'IVAN IVANOV', card_cvv: '123' }).toString()
  })
}

export async function outstandingOf (app: FastifyInstance, debtPublicId: string): Promise<bigint> {
  const debt = await findDebt(app.db, fromPublicId('debt', debtPublicId) as string)
  if (debt === undefined) throw new Error(`no debt ${debtPublicId}`)
  return debt.outstanding
}

/** A callback exactly as the bank signs it (script name = last segment of our URL). */
export function signedCallback (kind: 'check' | 'result', secretKey: string, params: Record<string, string>): URLSearchParams {
  const withSalt = { pg_salt: `salt${Math.random().toString(36).slice(2)}`, ...params }
  return new URLSearchParams({ ...withSalt, pg_sig: signParams(kind, withSalt, secretKey) })
}

/** The bank's id of a payment we started: the last segment of its hosted page's URL. */
export function bankPaymentIdOf (payment: { redirectUrl?: string }): string | undefined {
  return payment.redirectUrl === undefined ? undefined : decodeURIComponent(payment.redirectUrl.split('/').pop() as string)
}

export function resultParams (
  payment: { id: string, amount: number, redirectUrl?: string }, overrides: Record<string, string> = {}
): Record<string, string> {
  return {
    pg_order_id: payment.id,
    // the bank names its own payment: the one it gave us at init (a random one if we never started it there)
    pg_payment_id: bankPaymentIdOf(payment) ?? String(Math.floor(Math.random() * 1e9)),
    pg_amount: formatMinorUnits(BigInt(payment.amount)),
    pg_currency: 'KZT',
    pg_result: '1',
    pg_payment_date: '2026-11-25 15:02:11',
    pg_card_pan: '5555-55XX-XXXX-4444',
    ...overrides
  }
}

export async function sendCallback (base: string, kind: 'check' | 'result', body: URLSearchParams | string): Promise<{ status: number, text: string }> {
  const response = await fetch(`${base}/v1/callbacks/bank/${kind}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() })
  return { status: response.status, text: await response.text() }
}
