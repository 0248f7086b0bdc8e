import t from 'tap'
import { sql } from 'kysely'
import { createKey } from '../helpers/app.js'
import { createListeningApp } from '../helpers/payments.js'

/**
 * The sandbox bank as the app mounts it: nobody without an admin key can
 * break everyone's payments with a fault.
 */
const { app, base } = await createListeningApp(t)
const bankUrl = `${base}/sandbox/bank`
const admin = await createKey(app, ['admin'])
const operator = await createKey(app, ['operator'])

async function faults (method: 'POST' | 'DELETE', headers: Record<string, string>): Promise<Response> {
  if (method === 'DELETE') return await fetch(`${bankUrl}/faults`, { method, headers })
  const fault = JSON.stringify({ script: 'init_payment', mode: 'http_500', count: 1000 })
  const json = { 'content-type': 'application/json' }
  return await fetch(`${bankUrl}/faults`, { method, headers: { ...json, ...headers }, body: fault })
}

async function count (table: 'sandbox_bank_faults'): Promise<number> {
  return (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(app.db)).rows[0]?.n ?? -1
}

t.test('faults: no key is 401, an operator key 403, only an admin key arms (201) and clears (204) them', async (t) => {
  for (const method of ['POST', 'DELETE'] as const) {
    const none = await faults(method, {})
    t.equal(none.status, 401, `${method} without a key`)
    t.match(none.headers.get('content-type'), 'application/problem+json')
    t.match(await none.json(), { code: 'unauthenticated' })
    const unknown = await faults(method, { authorization: 'Bearer unknownkeyunknownkey' })
    t.match(await unknown.json(), { status: 401, code: 'unauthenticated' }, `${method} with an unknown key`)
    const weak = await faults(method, { authorization: operator.authorization })
    t.equal(weak.status, 403, `${method} with an operator key`)
    t.match(weak.headers.get('content-type'), 'application/problem+json')
    t.match(await weak.json(), { code: 'forbidden' })
  }
  const csv = await fetch(`${bankUrl}/faults`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'a,b' })
  t.equal(csv.status, 415, 'a media type the route does not take is 415, as on every route')
  t.equal(await count('sandbox_bank_faults'), 0, 'nothing was armed')

  const armed = await faults('POST', { authorization: admin.authorization })
  t.equal(armed.status, 201)
  t.match(await armed.json(), { faults: [{ script: 'init_payment', mode: 'http_500', remaining: 1000 }] })
  t.equal((await faults('DELETE', { authorization: operator.authorization })).status, 403)
  t.equal(await count('sandbox_bank_faults'), 1, 'an operator cannot clear it either')
  t.equal((await faults('DELETE', { authorization: admin.authorization })).status, 204)
  t.equal(await count('sandbox_bank_faults'), 0)
})
