import Fastify, { type FastifyInstance } from 'fastify'
import pg from 'pg'
import type { PiiCipher } from '../../src/lib/crypto.js'
import { validateIin } from '../../src/lib/iin.js'
import { maskName, normalizeContractNumber } from '../../src/lib/names.js'

/**
 * The lookup's ceiling: a bare fastify + pg handler doing the same work as
 * `POST /v1/debts/lookup` and nothing else: parse the JSON body, check the
 * IIN, normalise the contract number, HMAC the IIN into its blind index, one
 * indexed SELECT (the debt with its receivable balance), AES-GCM decrypt
 * of the name, mask, JSON. No rate limit, no card guard, no contract
 * throttle, no schema validation, no logging: what the stack adds is the
 * difference. With `prepared` the SELECT is a named statement, as the
 * service sends its own (src/db/database.ts): the ceiling the goals are
 * judged against. Without, it is sent unnamed, as pg does by default
 * (reported).
 */
export async function startBareLookup (
  databaseUrl: string, pii: PiiCipher, poolMax: number, prepared = false
): Promise<{ url: string, close: () => Promise<void> }> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolMax })
  pool.on('error', () => {})
  const app: FastifyInstance = Fastify({ logger: false })
  app.post('/v1/debts/lookup', async (request, reply) => {
    const body = request.body as { contractNumber?: unknown, iin?: unknown }
    if (typeof body?.contractNumber !== 'string' || typeof body.iin !== 'string') return await reply.code(400).send({ code: 'validation_failed' })
    const iin = validateIin(body.iin.trim())
    if (!iin.ok) return await reply.code(422).send({ code: 'invalid_iin' })
    const result = await pool.query({
      ...(prepared ? { name: 'bare_lookup' } : {}),
      text: `select d.id, d.contract_number, d.creditor, d.debtor_name_encrypted, d.status, a.balance
         from debts d join ledger_accounts a on a.kind = 'receivable' and a.debt_id = d.id
        where d.contract_number_normalized = $1 and d.debtor_iin_index = $2`,
      values: [normalizeContractNumber(body.contractNumber), pii.blindIndex(`iin:${iin.iin}`)]
    })
    const row = result.rows[0] as {
      id: string
      contract_number: string
      creditor: string
      debtor_name_encrypted: string
      status: string
      balance: string
    } | undefined
    if (row === undefined || row.status !== 'active') return await reply.code(404).send({ code: 'debt_not_found' })
    return {
      debtId: `debt_${row.id.replaceAll('-', '')}`,
      contractNumber: row.contract_number,
      creditor: row.creditor,
      debtorName: maskName(pii.decrypt(row.debtor_name_encrypted)),
      outstanding: { amount: Number(row.balance), currency: 'KZT' },
      status: 'active'
    }
  })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  return { url, close: async () => { await app.close(); await pool.end() } }
}
