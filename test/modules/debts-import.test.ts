import t from 'tap'
import http from 'node:http'
import type { FastifyInstance } from 'fastify'
import { createKey, createTestApp, eventually, startTestWorker } from '../helpers/app.js'
import { HEADER, makeCsv, makeIin, makeRow, toCsvLine } from '../helpers/portfolio.js'

const { app, config } = await createTestApp(t, { DEBT_IMPORT_MAX_BYTES: '200000' })
await startTestWorker(t, app, config)
const operator = await createKey(app, ['operator'])

async function upload (target: FastifyInstance, csv: string | Buffer, headers: Record<string, string> = {}) {
  return await target.inject({ method: 'POST', url: '/v1/admin/debt-imports', headers: { authorization: operator.authorization, 'content-type': 'text/csv', ...headers }, payload: csv })
}

async function finished (id: string) {
  return await eventually(async () => {
    const report = (await app.inject({ method: 'GET', url: `/v1/admin/debt-imports/${id}`, headers: { authorization: operator.authorization } })).json()
    return report.status === 'completed' || report.status === 'failed' ? report : undefined
  })
}

async function debtsByContract (contract: string) {
  const response = await app.inject({ method: 'GET', url: `/v1/admin/debts?contractNumber=${encodeURIComponent(contract)}`, headers: { authorization: operator.authorization } })
  return response.json().data
}

t.test('a file with broken rows reports each one and imports every good row', async (t) => {
  const good = [makeRow(1), makeRow(2), makeRow(3)]
  const lines = [
    HEADER,
    toCsvLine(good[0]!),
    'КД-X1,871008401428,Иванов Иван,Банк,100,KZT', // wrong IIN check digit
    toCsvLine(good[1]!),
    `КД-X2,${makeIin(50)},Иванов Иван,Банк,12.345,KZT`, // three decimals
    `КД-X3,${makeIin(51)},,Банк,100,KZT`, // no name
    `КД-X4,${makeIin(52)},Иванов Иван,Банк,100,USD`,
    `КД-X5,${makeIin(53)},Иванов Иван,Банк,100`, // a field short
    toCsvLine(good[2]!),
    toCsvLine(good[0]!) // the same contract and IIN again
  ]
  const response = await upload(app, '\uFEFF' + lines.join('\r\n'), { 'x-file-name': 'portfolio-2026-11.csv' })
  t.equal(response.statusCode, 202)
  t.match(response.json(), { id: /^imp_[0-9a-f]{32}$/, status: 'queued', rowsTotal: 9 })

  const report = await finished(response.json().id)
  t.match(report, { status: 'completed', rowsTotal: 9, rowsImported: 3, rowsUnchanged: 0, rowsRejected: 6, failureReason: null })
  t.same(report.errors.map((e: { line: number, column: string | null, code: string }) => [e.line, e.column, e.code]), [
    [3, 'debtor_iin', 'invalid_iin'],
    [5, 'outstanding', 'invalid_amount'],
    [6, 'debtor_name', 'missing_field'],
    [7, 'currency', 'invalid_currency'],
    [8, null, 'wrong_field_count'],
    [10, 'contract_number', 'duplicate_in_file']
  ])
  t.notMatch(JSON.stringify(report.errors), /871008401428|Иванов/, 'the report repeats no personal data')
  const [debt] = await debtsByContract(good[1]!.contract)
  t.match(debt, { contractNumber: good[1]!.contract, debtorName: good[1]!.name, creditor: good[1]!.creditor, status: 'active' })
  t.equal(debt.outstanding.amount, Number(good[1]!.outstanding.replace('.', '')), 'tenge with decimals parsed exactly to tiyn')
})

t.test('importing the same file twice changes nothing; a changed claim is adjusted', async (t) => {
  const rows = [makeRow(101), makeRow(102), makeRow(103)]
  const first = await finished((await upload(app, makeCsv(rows, ';'))).json().id)
  t.match(first, { rowsImported: 3, rowsUnchanged: 0, rowsAdjusted: 0, rowsRejected: 0 })
  const again = await finished((await upload(app, makeCsv(rows, ';'))).json().id)
  t.match(again, { rowsImported: 0, rowsUnchanged: 3, rowsAdjusted: 0, rowsRejected: 0 })

  rows[1] = { ...rows[1]!, outstanding: '777.70' }
  const changed = await finished((await upload(app, makeCsv(rows))).json().id)
  t.match(changed, { rowsImported: 0, rowsAdjusted: 1, rowsUnchanged: 2 })
  const [debt] = await debtsByContract(rows[1]!.contract)
  t.equal(debt.outstanding.amount, 77770)
  const all = await debtsByContract(rows[0]!.contract.toLowerCase())
  t.equal(all.length, 1, 'contract numbers match case-insensitively, and one debt per contract and IIN')
})

t.test('names in Kazakh and Russian survive the round trip unchanged', async (t) => {
  const names = ['Әбілқасымова Ғалия Құрманқызы', 'Ңұрұлы Өмір Үсенұлы', 'Һасанов Іслам', 'Ёлкина Алёна Фёдоровна']
  const rows = names.map((name, i) => makeRow(200 + i, { name }))
  await finished((await upload(app, makeCsv(rows))).json().id)
  for (const row of rows) {
    const [debt] = await debtsByContract(row.contract)
    t.equal(debt.debtorName, row.name)
  }
})

t.test('a file without a usable header is refused and leaves nothing behind', async (t) => {
  for (const csv of ['', 'contract,iin\n1,2\n', 'contract_number,debtor_iin,debtor_name,creditor\nx,y,z,w\n']) {
    const response = await upload(app, csv)
    t.equal(response.statusCode, 422, JSON.stringify(csv))
    t.equal(response.json().code, 'invalid_csv_header')
  }
  const broken = await upload(app, `${HEADER}\n"КД-1,unterminated`)
  t.equal(broken.statusCode, 422)
  t.equal(broken.json().code, 'invalid_csv')
})

t.test('a file over the configured limit is refused with 413', async (t) => {
  const rows = Array.from({ length: 3000 }, (_, i) => makeRow(10_000 + i))
  const csv = makeCsv(rows)
  t.ok(Buffer.byteLength(csv) > 200_000)
  const declared = await upload(app, csv)
  t.equal(declared.statusCode, 413)
  t.equal(declared.json().code, 'payload_too_large')
  // Chunked, over a real socket: the size is only known by counting.
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  const streamed = await new Promise<{ statusCode: number, body: string }>((resolve, reject) => {
    const request = http.request(`${address}/v1/admin/debt-imports`, { method: 'POST', headers: { authorization: operator.authorization, 'content-type': 'text/csv' } }, (response) => {
      let body = ''
      response.on('data', (chunk: Buffer) => { body += chunk.toString() })
      response.on('end', () => { resolve({ statusCode: response.statusCode ?? 0, body }) })
    })
    request.on('error', (error: NodeJS.ErrnoException) => { if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error) })
    for (let i = 0; i < csv.length; i += 10_000) request.write(csv.slice(i, i + 10_000))
    request.end()
  })
  t.equal(streamed.statusCode, 413, 'also when the size is only known by counting')
  t.equal(JSON.parse(streamed.body).code, 'payload_too_large')
  const list = await debtsByContract(rows[0]!.contract)
  t.same(list, [], 'nothing imported')
})

t.test('only operators import, and only CSV', async (t) => {
  const partner = await createKey(app, ['partner'])
  const forbidden = await app.inject({ method: 'POST', url: '/v1/admin/debt-imports', headers: { authorization: partner.authorization, 'content-type': 'text/csv' }, payload: HEADER })
  t.equal(forbidden.statusCode, 403)
  const json = await app.inject({ method: 'POST', url: '/v1/admin/debt-imports', headers: { authorization: operator.authorization, 'content-type': 'application/xml' }, payload: '<x/>' })
  t.equal(json.statusCode, 415)
  const unknown = await app.inject({ method: 'GET', url: '/v1/admin/debt-imports/imp_00000000000000000000000000000000', headers: { authorization: operator.authorization } })
  t.equal(unknown.statusCode, 404)
  t.equal(unknown.json().code, 'debt_import_not_found')
})

t.test('a row holding a card number is rejected with card_data_forbidden, and the number is kept nowhere', async (t) => {
  const luhnContract = '4000000000000002' // 16 Luhn-valid digits: as a contract number, a contract number
  const lines = [
    HEADER,
    toCsvLine(makeRow(301, { contract: luhnContract })),
    `КД-C1,${makeIin(302)},Иванов Иван 4111 1111 1111 1111,Банк,100,KZT`,
    `КД-C2,${makeIin(303)},Иванов Иван,"Банк, карта 4111.1111.1111.1111",100,KZT`,
    `КД-C3,${makeIin(304)},Иванов Иван,Банк,5555555555554444,KZT`,
    `"card: 4111/1111/1111/1111",${makeIin(305)},Иванов Иван,Банк,100,KZT`,
    'КД-C5,4111111111111111,Иванов Иван,Банк,100,KZT',
    `"КД, 2024",${makeIin(306)},Иванов Иван,Банк,100,KZT`
  ]
  // an app with no worker: the staged rows can be looked at before processing
  const { app: staging } = await createTestApp(t)
  const stagingOperator = await createKey(staging, ['operator'])
  const staged = await staging.inject({ method: 'POST', url: '/v1/admin/debt-imports', headers: { authorization: stagingOperator.authorization, 'content-type': 'text/csv' }, payload: lines.join('\n') })
  t.equal(staged.statusCode, 202)
  const rows = await staging.db.selectFrom('debt_import_rows').selectAll().orderBy('line').execute()
  t.same(rows.map((r) => [r.line, r.error_code, r.error_column]), [
    [2, null, null],
    [3, 'card_data_forbidden', 'debtor_name'],
    [4, 'card_data_forbidden', 'creditor'],
    [5, 'card_data_forbidden', 'outstanding'],
    [6, 'card_data_forbidden', 'contract_number'],
    [7, 'card_data_forbidden', 'debtor_iin'],
    [8, 'invalid_contract_number', 'contract_number']
  ])
  const dataColumns = ['contract_number', 'contract_number_normalized', 'debtor_iin_index', 'debtor_iin_encrypted', 'debtor_name_encrypted', 'creditor', 'claim_amount', 'source_hash'] as const
  t.ok(rows.slice(1).every((r) => dataColumns.every((c) => r[c] === null)), 'a rejected row keeps only its error')
  t.notMatch(JSON.stringify(rows, (_key, value: unknown) => typeof value === 'bigint' ? value.toString() : value), /4111|5555 ?5555/, 'no staged column holds a number')

  const response = await upload(app, lines.join('\n'))
  const report = await finished(response.json().id)
  t.match(report, { status: 'completed', rowsTotal: 7, rowsImported: 1, rowsRejected: 6 })
  t.same(
    report.errors.map((e: { line: number, column: string | null, code: string }) => [e.line, e.column, e.code]),
    rows.slice(1).map((r) => [r.line, r.error_column, r.error_code])
  )
  t.notMatch(JSON.stringify(report), /4111|5555555555554444/, 'the report repeats no number')
  const [debt] = await debtsByContract(luhnContract)
  t.match(debt, { contractNumber: luhnContract, status: 'active' }, 'the Luhn-valid contract number is imported')

  const named = await upload(app, lines.slice(0, 2).join('\n'), { 'x-file-name': 'карта 4111 1111 1111 1111.csv' })
  t.equal(named.statusCode, 400)
  t.equal(named.json().code, 'card_data_forbidden', 'the file name is kept in the report, so it is checked too')
})
