// Agency-agreement money over real HTTP (DESIGN 18): a creditor under an agreement, Kaspi payments on its debts,
// refunds recorded from Kaspi's cabinet, and the ledger's lines of one creditor read back to tie the figures.
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import { fromPublicId, toPublicId } from '../../src/lib/ids.js'
import { kaspiPay } from '../../src/modules/payments/kaspi.js'
import { postJson, seedDebt } from './payments.js'

export interface Caller {
  (method: string, path: string, body?: unknown, headers?: Record<string, string>):
  Promise<{ status: number, body: any }>
}

export function caller (base: string, authorization: string): Caller {
  return async (method, path, body, headers = {}) => {
    const response = body === undefined
      ? await fetch(`${base}${path}`, { method, headers: { authorization, ...headers } })
      : method === 'POST'
        ? await postJson(`${base}${path}`, body, { authorization, ...headers })
        : await fetch(`${base}${path}`, {
          method, headers: { authorization, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body)
        })
    const text = await response.text()
    return { status: response.status, body: text === '' ? null : JSON.parse(text) }
  }
}

let txns = 0

/** A debt of `outstanding` tiyn of the named creditor: its public id and payment code. */
export async function debtOf (
  app: FastifyInstance, creditor: string, outstanding: bigint
): Promise<{ id: string, code: string }> {
  const debt = await seedDebt(app, { creditor, outstanding: (Number(outstanding) / 100).toFixed(2) })
  const { payment_code: code } = await app.db.selectFrom('debts').select('payment_code')
    .where('id', '=', fromPublicId('debt', debt.id) as string).executeTakeFirstOrThrow()
  return { id: debt.id, code }
}

/** Kaspi pays `sum` tiyn on the debt with this payment code: the payment's public id. */
export async function kaspiPaid (app: FastifyInstance, code: string, sum: bigint): Promise<string> {
  const txnId = `agency-${process.pid}-${++txns}`
  const text = await kaspiPay({ db: app.db, pii: app.pii }, { txnId, account: code, sum, txnDate: null })
  const answer = JSON.parse(text) as { result: number }
  if (answer.result !== 0) throw new Error(`pay refused: ${JSON.stringify(answer)}`)
  const row = await app.db.selectFrom('payments').select('id').where('kaspi_txn_id', '=', txnId).executeTakeFirstOrThrow()
  return toPublicId('payment', row.id)
}

let refunds = 0
/** A refund of `amount` tiyn recorded from Kaspi's cabinet: succeeded at once, its ledger entry posted. */
export async function kaspiRefunded (call: Caller, paymentId: string, amount: bigint): Promise<string> {
  const answer = await call('POST', `/v1/admin/payments/${paymentId}/external-refunds`,
    { amount: Number(amount), reference: `KASPI-RET-${process.pid}-${++refunds}` })
  if (answer.status !== 201) throw new Error(`refund refused: ${JSON.stringify(answer.body)}`)
  return answer.body.id as string
}

/** Sum of the lines on the creditor's payable account, and on `commission` from the entries that moved it. */
export async function payableLines (
  app: FastifyInstance, creditorPublicId: string, paymentPublicId?: string
): Promise<{ payable: bigint, commission: bigint, claims: bigint }> {
  const creditorId = fromPublicId('creditor', creditorPublicId) as string
  const paymentId = paymentPublicId === undefined ? null : fromPublicId('payment', paymentPublicId)
  const { rows } = await sql<{ kind: string, total: string }>`
    select a.kind, coalesce(sum(l.amount), 0)::text as total
      from ledger_entries e
      join ledger_lines l on l.entry_id = e.id
      join ledger_accounts a on a.id = l.account_id
     where e.id in (select l2.entry_id from ledger_lines l2 join ledger_accounts p on p.id = l2.account_id
                     where p.kind = 'creditor_payable' and p.creditor_id = ${creditorId})
       and a.kind in ('creditor_payable', 'commission', 'claims')
       ${paymentId === null ? sql`` : sql`and e.payment_id = ${paymentId}`}
     group by a.kind`.execute(app.db)
  const total = (kind: string): bigint => BigInt(rows.find((r) => r.kind === kind)?.total ?? '0')
  return { payable: total('creditor_payable'), commission: total('commission'), claims: total('claims') }
}

/** What the agency owes the creditor now: minus its payable account's balance (0 without one). */
export async function owedTo (app: FastifyInstance, creditorPublicId: string): Promise<bigint> {
  const row = await app.db.selectFrom('ledger_accounts').select('balance')
    .where('key', '=', `creditor_payable:${creditorPublicId}`).executeTakeFirst()
  return row === undefined ? 0n : -row.balance
}
