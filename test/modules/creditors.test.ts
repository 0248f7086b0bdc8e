import t from 'tap'
import { sql } from 'kysely'
import { createKey, createTestApp, eventually, startTestWorker } from '../helpers/app.js'
import { HEADER, makeRow, toCsvLine } from '../helpers/portfolio.js'
import { trialBalance } from '../../src/modules/ledger/service.js'

/** DESIGN 18, creditors as records: the API, imports matching folded names, partner keys by name or id, renames. */
const { app, config } = await createTestApp(t)
await startTestWorker(t, app, config)
const admin = await createKey(app, ['admin'])
const operator = await createKey(app, ['operator'])

async function call (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown, authorization = admin.authorization) {
  const body = payload === undefined ? {} : { payload: payload as object }
  const response = await app.inject({ method, url, headers: { authorization }, ...body })
  return { status: response.statusCode, body: response.json() }
}

async function importCsv (lines: string[]) {
  const response = await app.inject({ method: 'POST', url: '/v1/admin/debt-imports', headers: { authorization: operator.authorization, 'content-type': 'text/csv' }, payload: [HEADER, ...lines].join('\n') })
  t.equal(response.statusCode, 202)
  return await eventually(async () => {
    const report = (await call('GET', `/v1/admin/debt-imports/${response.json().id as string}`, undefined, operator.authorization)).body
    return report.status === 'completed' || report.status === 'failed' ? report : undefined
  })
}

t.test('create, read, list and change a creditor; names and aliases are one creditor\'s each', async (t) => {
  const created = await call('POST', '/v1/admin/creditors', { name: 'АО «Альфа»', aliases: ['Alfa Bank'], bin: '940140000385' })
  t.equal(created.status, 201)
  t.match(created.body, { id: /^cred_[0-9a-f]{32}$/, name: 'АО «Альфа»', aliases: ['Alfa Bank'], bin: '940140000385', agreement: { kind: 'assignment', commissionBps: 0 } })
  const agency = await call('POST', '/v1/admin/creditors', { name: 'ТОО Бета', agreement: { kind: 'agency', commissionBps: 1500 } })
  t.match(agency, { status: 201, body: { agreement: { kind: 'agency', commissionBps: 1500 } } })

  t.match(await call('POST', '/v1/admin/creditors', { name: 'ао  "альфа"' }), { status: 409, body: { code: 'creditor_exists' } }, 'another spelling of a name')
  t.match(await call('POST', '/v1/admin/creditors', { name: 'Гамма', aliases: ['ALFA bank'] }), { status: 409, body: { code: 'creditor_exists' } }, 'an alias')
  t.match(await call('POST', '/v1/admin/creditors', { name: 'Гамма', bin: '940140000386' }), { status: 422, body: { code: 'invalid_bin' } })
  t.match(await call('POST', '/v1/admin/creditors', { name: 'Гамма', bin: '12345' }), { status: 400, body: { code: 'validation_failed' } })
  t.match(await call('POST', '/v1/admin/creditors', { name: 'Гамма', agreement: { kind: 'assignment', commissionBps: 100 } }), { status: 422, body: { code: 'invalid_agreement' } })
  t.match(await call('POST', '/v1/admin/creditors', { name: 'Гамма', agreement: { kind: 'agency', commissionBps: 10001 } }), { status: 400, body: { code: 'validation_failed' } })
  t.match(await call('POST', '/v1/admin/creditors', { name: '« »' }), { status: 422, body: { code: 'invalid_creditor_name' } })
  t.match(await call('POST', '/v1/admin/creditors', { name: 'Гамма' }, operator.authorization), { status: 403 })

  const id = created.body.id as string
  t.match(await call('GET', `/v1/admin/creditors/${id}`, undefined, operator.authorization), { status: 200, body: { id, name: 'АО «Альфа»' } })
  t.match(await call('GET', '/v1/admin/creditors/cred_0193b3f2a4c07d1e8b5a2f6c9d0e1f23'), { status: 404, body: { code: 'unknown_creditor' } })
  const list = await call('GET', '/v1/admin/creditors?limit=100')
  t.ok(list.body.data.some((c: { id: string }) => c.id === id))

  const patched = await call('PATCH', `/v1/admin/creditors/${id}`, { name: 'АО «Альфа-Банк»', aliases: ['АО «Альфа»'], agreement: { kind: 'agency', commissionBps: 1000 } })
  t.match(patched, { status: 200, body: { id, name: 'АО «Альфа-Банк»', aliases: ['АО «Альфа»'], bin: '940140000385', agreement: { kind: 'agency', commissionBps: 1000 } } })
  t.match(await call('PATCH', `/v1/admin/creditors/${id}`, { aliases: ['тоо бета'] }), { status: 409, body: { code: 'creditor_exists' } }, 'another\'s name')
  t.match(await call('POST', '/v1/admin/creditors', { name: 'Alfa Bank' }), { status: 201 }, 'a dropped alias is free again')
  t.match(await call('PATCH', `/v1/admin/creditors/${id}`, {}), { status: 400 })
  t.match(await call('PATCH', '/v1/admin/creditors/cred_0193b3f2a4c07d1e8b5a2f6c9d0e1f23', { name: 'X' }), { status: 404, body: { code: 'unknown_creditor' } })

  const audit = await call('GET', `/v1/admin/audit-log?entityType=creditor&entityId=${id}`)
  t.same(audit.body.data.map((e: { action: string }) => e.action).sort(), ['creditor.created', 'creditor.updated'])
})

t.test('an import matches folded names and creates the unknown; keys bind ids; a rename changes nothing in the books', async (t) => {
  const bank = await call('POST', '/v1/admin/creditors', { name: 'АО «Банк ЦентрКредит»' })
  t.equal(bank.status, 201)
  const report = await importCsv([
    toCsvLine(makeRow(9001, { creditor: 'АО "Банк ЦентрКредит"' })),
    toCsvLine(makeRow(9002, { creditor: 'АО «Банк ЦентрКредит»' })),
    toCsvLine(makeRow(9003, { creditor: 'ао  „банк центркредит“' })),
    toCsvLine(makeRow(9004, { creditor: 'ТОО «Новый кредитор»' })),
    toCsvLine(makeRow(9005, { creditor: 'ТОО "Новый кредитор"' }))
  ])
  t.match(report, { status: 'completed', rowsImported: 5 })
  t.equal(report.creditorsCreated.length, 1, 'one creditor made for the two spellings of the unknown name')
  t.match(report.creditorsCreated[0], { id: /^cred_/, name: /Новый кредитор/ })
  const fresh = report.creditorsCreated[0].id as string

  const debtOf = async (seed: number) => (await call('GET', `/v1/admin/debts?contractNumber=${encodeURIComponent(makeRow(seed).contract)}`)).body.data[0]
  for (const seed of [9001, 9002, 9003]) t.match(await debtOf(seed), { creditorId: bank.body.id }, `row ${seed} is the bank's`)
  t.match(await debtOf(9001), { creditor: 'АО "Банк ЦентрКредит"' }, 'the debt keeps the name as written')
  for (const seed of [9004, 9005]) t.match(await debtOf(seed), { creditorId: fresh })

  // a partner key by another spelling resolves, stores the id and sees the debts
  const key = await call('POST', '/v1/admin/api-keys', { name: 'bcc', scopes: ['partner'], creditors: ['ао "банк центркредит"'] })
  t.match(key, { status: 201, body: { creditors: ['АО «Банк ЦентрКредит»'], creditorIds: [bank.body.id] } })
  const partner = `Bearer ${key.body.key as string}`
  const seen = await call('GET', '/v1/partner/debts?limit=100', undefined, partner)
  t.equal(seen.status, 200)
  t.equal(seen.body.data.length, 3)
  t.ok(seen.body.data.every((d: { creditorId: string }) => d.creditorId === bank.body.id))
  t.match(await call('POST', '/v1/admin/api-keys', { name: 'x', scopes: ['partner'], creditors: [fresh] }), { status: 201, body: { creditorIds: [fresh] } }, 'by id')
  t.match(await call('POST', '/v1/admin/api-keys', { name: 'x', scopes: ['partner'], creditors: ['АО «Нет такого»'] }), { status: 422, body: { code: 'creditor_not_found' } })
  t.match(await call('POST', '/v1/admin/api-keys', { name: 'x', scopes: ['partner'], creditors: ['cred_0193b3f2a4c07d1e8b5a2f6c9d0e1f23'] }), { status: 422, body: { code: 'creditor_not_found' } })

  // the rename: no ledger account, no debt changes; the key still sees the same debts
  const accounts = async () => (await sql<{ key: string, balance: string }>`select key, balance::text from ledger_accounts where kind = 'claims' order by key`.execute(app.db)).rows
  const debtsBefore = (await sql<{ id: string, creditor: string, creditor_id: string }>`select id, creditor, creditor_id from debts order by id`.execute(app.db)).rows
  const booksBefore = await accounts()
  t.ok(booksBefore.some((a) => a.key === `claims:${bank.body.id as string}`), 'the claims account keys by creditor id')
  t.match(await call('PATCH', `/v1/admin/creditors/${bank.body.id as string}`, { name: 'АО «BCC»', aliases: ['АО «Банк ЦентрКредит»'] }), { status: 200 })
  t.same(await accounts(), booksBefore, 'no claims account renamed, no balance moved')
  t.same((await sql`select id, creditor, creditor_id from debts order by id`.execute(app.db)).rows, debtsBefore, 'no debt changed')
  t.match(await trialBalance(app.db), { total: 0, consistent: true })
  t.equal((await call('GET', '/v1/partner/debts?limit=100', undefined, partner)).body.data.length, 3)
  const keys = (await call('GET', '/v1/admin/api-keys?limit=100')).body.data
  t.match(keys.find((k: { id: string }) => k.id === key.body.id), { creditors: ['АО «BCC»'], creditorIds: [bank.body.id] }, 'the key shows the name of today')

  // a new row under the old name (now an alias) lands on the same creditor and claims account
  const again = await importCsv([toCsvLine(makeRow(9006, { creditor: 'АО “Банк ЦентрКредит”' }))])
  t.same(again.creditorsCreated, [])
  t.match(await debtOf(9006), { creditorId: bank.body.id })
  t.equal((await accounts()).length, booksBefore.length, 'no new claims account')

  // the daily report narrows by any spelling
  const today = new Date(Date.now() + 5 * 3600_000).toISOString().slice(0, 10)
  const byName = await call('GET', `/v1/admin/reports/daily?date=${today}&creditor=${encodeURIComponent('ао «bcc»')}`)
  t.equal(byName.status, 200)
})
