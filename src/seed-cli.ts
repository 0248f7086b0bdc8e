// `npm run seed`: a demo portfolio for a developer machine or a staging database. Three creditors, a dozen debts
// with valid IINs imported as a portfolio is, a few of them paid at the sandbox bank and one refunded through the
// payer's refund request and an operator's decision: the real services and the ledger, over real HTTP, never rows
// written by hand. And an operator key, printed once with what to try next. Run twice, it does nothing the second
// time and says so.
import { ConfigError, loadToolConfig } from './config.js'
import { buildApp } from './app.js'
import { resolveDatabase, resolvePiiKeys } from './database-and-keys.js'
import { migrateDatabase } from './migrate-database.js'
import { startBackground } from './worker-role.js'
import { freePort } from './lib/free-port.js'
import { iinCheckDigit } from './lib/iin.js'
import { APPROVING_CARD } from './bank/sandbox/card.js'
import { createApiKey } from './modules/api-keys/service.js'
import { createCreditor, findCreditorByRef } from './modules/creditors/service.js'

const CREDITORS = ['Демо: АО «Банк ЦентрКредит»', 'Демо: ТОО МФО «Быстрые деньги»', 'Демо: АО «Kaspi Bank»']
const NAMES = ['Әбілқасымов Айгерім', 'Иванов Иван', 'Нұрланұлы Дәурен', 'Қайратова Әлия', 'Петров Пётр',
  'Үсенова Гүлнар', 'Ғабитов Ерлан', 'Өмірзақ Сәуле', 'Іскаков Нұрлан', 'Сидорова Анна', 'Ким Виктор', 'Ли Марина']

interface DemoDebt { contract: string, iin: string, name: string, creditor: string, outstanding: bigint }

/** A valid IIN of someone born on a real date in 1960-1999 (iin.ts's check digit), the same one every run. */
function demoIin (seed: number): string {
  for (let serial = seed * 37; ; serial++) {
    const year = 60 + (seed * 7) % 40
    const first11 = `${String(year).padStart(2, '0')}${String(1 + seed % 12).padStart(2, '0')}` +
      `${String(1 + (seed * 5) % 28).padStart(2, '0')}${3 + seed % 2}${String(serial % 10000).padStart(4, '0')}`
    const check = iinCheckDigit(first11)
    if (check !== null) return `${first11}${check}`
  }
}

const DEBTS: DemoDebt[] = NAMES.map((name, i) => ({
  contract: `DEMO-${String(i + 1).padStart(4, '0')}`,
  iin: demoIin(i + 1),
  name,
  creditor: CREDITORS[i % CREDITORS.length] as string,
  outstanding: BigInt(50_000 + i * 17_500) * 100n
}))

function tenge (tiyn: bigint): string {
  return `${(tiyn / 100n).toString()}.${(tiyn % 100n).toString().padStart(2, '0')} KZT`
}

function fail (message: string, code = 1): never {
  process.stderr.write(`${message}\n`)
  process.exit(code)
}

const USAGE = 'usage: npm run seed (a demo portfolio and an operator key; against DATABASE_URL, or the embedded ' +
  'database in DATA_DIR when it is unset; pays at the sandbox bank, so BANK_MODE=sandbox)'
if (process.argv.slice(2).some((arg) => arg === '--help' || arg === '-h')) {
  process.stdout.write(`${USAGE}\n`)
  process.exit(0)
}
if (process.argv.length > 2) fail(`unknown argument(s): ${process.argv.slice(2).join(' ')}\n${USAGE}`, 2)

async function until<T> (what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  while (true) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`${what}: not done in ${timeoutMs / 1000} s`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

// On a developer machine (no DATABASE_URL, no NODE_ENV=production) the sandboxes are the defaults, as for npm start.
// Against a database of its own the seed is told, not guessed (DESIGN 11): a shell whose DATABASE_URL reaches
// production through a tunnel must not book demo payments in its ledger.
const deployed = process.env.DATABASE_URL !== undefined || process.env.NODE_ENV === 'production'
if (deployed && process.env.BANK_MODE !== 'sandbox') {
  fail('npm run seed with DATABASE_URL (or NODE_ENV=production) needs BANK_MODE=sandbox in its environment: it ' +
    'books demo debts and payments, so it runs on a developer machine or a staging database only')
}
const environment = { BANK_MODE: 'sandbox', MAIL_MODE: 'sandbox', KASPI_MODE: 'off', ...process.env }
const shown = (() => {
  try { return loadToolConfig(environment) } catch (error) {
    return fail(`${error instanceof ConfigError ? 'Configuration error' : 'Seed failed'}: ${String(error)}`)
  }
})()
if (shown.bank.mode !== 'sandbox') {
  fail('npm run seed pays at the sandbox bank: run it with BANK_MODE=sandbox, on a developer machine or staging only')
}

// the seed's own server, on a port of its own: the sandbox bank calls it back there
const port = await freePort()
const seedBase = `http://127.0.0.1:${port}`
const config = loadToolConfig(environment, {
  ROLE: 'all',
  HOST: '127.0.0.1',
  PORT: String(port),
  PUBLIC_BASE_URL: seedBase,
  LOG_LEVEL: 'silent',
  // the demo's payments all come from this machine
  RISK_MAX_PAYMENTS_PER_HOUR_PER_IP: '100000',
  RATE_LIMIT_PER_MINUTE: '100000',
  LOOKUP_RATE_LIMIT_PER_MINUTE: '100000'
})
const warn = (m: string): void => { process.stderr.write(`warning: ${m}\n`) }
const piiKeys = resolvePiiKeys(config, { info: () => {}, warn })
const database = await resolveDatabase(config, { info: () => {}, warn }).catch((error: unknown) => {
  return fail(`Seed failed: ${error instanceof Error ? error.message : String(error)}`)
})
let exitCode = 0
try {
  if (config.migrateOnStart) {
    const { pino } = await import('pino')
    await migrateDatabase(database.migrationUrl, pino({ level: 'warn' }))
  }
  const app = await buildApp({ ...config, databaseUrl: database.url, piiKeys }, { logger: false })
  try {
    if (await findCreditorByRef(app.db, CREDITORS[0] as string) !== null) {
      process.stdout.write(`The demo portfolio is already there (creditor "${CREDITORS[0] as string}"): nothing done.\n` +
        'A new operator key: npm run api-key -- create --name "demo operator" --scopes operator\n')
    } else {
      await app.listen({ port, host: '127.0.0.1' })
      const background = await startBackground(app, { ...config, databaseUrl: database.url })
      try {
        await seed(app)
      } finally {
        await background.stop()
      }
    }
  } finally {
    await app.close()
  }
} catch (error) {
  process.stderr.write(`Seed failed: ${error instanceof Error ? error.message : String(error)}\n`)
  exitCode = 1
} finally {
  await database.embedded?.stop()
}
process.exit(exitCode)

async function seed (app: Awaited<ReturnType<typeof buildApp>>): Promise<void> {
  const actor = { keyId: null, requestId: 'npm-run-seed', ip: null }
  const operator = await createApiKey(app.db, null, { name: 'demo operator', scopes: ['operator'] })
  const authorization = `Bearer ${operator.key}`
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}):
  Promise<{ status: number, json: any }> => {
    const response = await fetch(`${seedBase}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {})
    })
    const text = await response.text()
    const json: unknown = text === '' ? null : JSON.parse(text)
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`)
    return { status: response.status, json }
  }
  for (const name of CREDITORS) await createCreditor(app.db, actor, { name })

  // the portfolio, as an operator uploads one (the import job runs in this process's worker)
  const csv = ['contract_number,debtor_iin,debtor_name,creditor,outstanding,currency',
    ...DEBTS.map((d) => [d.contract, d.iin, d.name, `"${d.creditor.replaceAll('"', '""')}"`,
      (Number(d.outstanding) / 100).toFixed(2), 'KZT'].join(','))].join('\n') + '\n'
  const queued = await fetch(`${seedBase}/v1/admin/debt-imports`, {
    method: 'POST', headers: { authorization, 'content-type': 'text/csv' }, body: csv
  })
  if (queued.status !== 202) throw new Error(`the import was refused: ${queued.status} ${await queued.text()}`)
  const importId = (await queued.json() as { id: string }).id
  const report = await until('the import', async () => {
    const state = (await call('GET', `/v1/admin/debt-imports/${importId}`, undefined, { authorization })).json
    return state.status === 'completed' || state.status === 'failed' ? state : undefined
  })
  if (report.rowsImported !== DEBTS.length) throw new Error(`the import: ${JSON.stringify(report)}`)

  // payers at the sandbox bank: two pay in full, two in part; the second one's payer asks for a refund
  const paid: Array<{ debt: DemoDebt, payment: string, amount: bigint }> = []
  for (const [index, share] of [[0, 1], [1, 0.5], [3, 1], [4, 0.25]] as const) {
    const debt = DEBTS[index] as DemoDebt
    const email = `payer${index + 1}@example.kz`
    const { debtId } = (await call('POST', '/v1/debts/lookup', { contractNumber: debt.contract, iin: debt.iin })).json
    const offer = (await call('GET', '/v1/offer')).json
    const acceptance = (await call('POST', '/v1/offer-acceptances', {
      offerVersion: offer.version, offerSha256: offer.sha256, debtId,
      payer: { fullName: debt.name, email, phone: '+77012345678' }, personalDataConsent: true
    })).json
    const amount = share === 1 ? debt.outstanding : BigInt(Math.round(Number(debt.outstanding) * share / 100)) * 100n
    const started = (await call('POST', '/v1/payments', { acceptanceId: acceptance.id, amount: Number(amount), currency: 'KZT' },
      { 'idempotency-key': `demo-seed-${debt.contract}` })).json
    await fetch(started.redirectUrl, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        action: 'pay', card_number: APPROVING_CARD, card_expiry: '12/39', card_holder: 'DEMO PAYER', card_cvv: '123'
      }).toString()
    })
    await until(`the payment on ${debt.contract}`, async () => {
      const payment = (await call('GET', `/v1/admin/payments/${started.id as string}`, undefined, { authorization })).json
      return payment.status === 'succeeded' ? payment : undefined
    })
    paid.push({ debt, payment: started.id, amount })
  }
  const refunded = paid[1] as { debt: DemoDebt, payment: string, amount: bigint }
  const request = (await call('POST', '/v1/refund-requests', {
    paymentId: refunded.payment, email: 'payer2@example.kz', reason: 'Оплатил по ошибке, прошу вернуть (демо)'
  })).json
  await call('POST', `/v1/admin/refund-requests/${request.id as string}/decision`,
    { decision: 'approve', responseText: 'Возврат одобрен (демо)' }, { authorization })
  await until('the refund', async () => {
    const payment = (await call('GET', `/v1/admin/payments/${refunded.payment}`, undefined, { authorization })).json
    return payment.refundedAmount === Number(refunded.amount) ? payment : undefined
  })

  const base = shown.publicBaseUrl
  const example = DEBTS[2] as DemoDebt
  const state = (debt: DemoDebt): string => {
    const payment = paid.find((p) => p.debt === debt)
    if (payment === undefined) return 'unpaid'
    if (payment === refunded) return `paid ${tenge(payment.amount)}, refunded`
    return payment.amount === debt.outstanding ? 'paid in full' : `paid ${tenge(payment.amount)}`
  }
  process.stdout.write([
    `Demo portfolio created: ${CREDITORS.length} creditors, ${DEBTS.length} debts (${paid.length} paid at the ` +
      'sandbox bank, one of them refunded), and an operator key.',
    '',
    ...CREDITORS.map((name) => `  creditor  ${name}`),
    '',
    ...DEBTS.map((d) => `  ${d.contract}  IIN ${d.iin}  ${tenge(d.outstanding).padStart(14)}  ${d.creditor}  ${state(d)}`),
    '',
    `Operator key ${operator.id} ("demo operator"), shown once, store it now:`,
    '',
    operator.key,
    '',
    'Next steps (start the service first: npm start):',
    `  open ${base}/docs                   Swagger UI ("Authorize" with the operator key for the back office)`,
    '  # a payer looks a debt up by contract number and IIN:',
    `  curl -s -X POST ${base}/v1/debts/lookup -H 'content-type: application/json' \\`,
    `    -d '{"contractNumber":"${example.contract}","iin":"${example.iin}"}'`,
    '  # the back office, with the operator key:',
    `  curl -s ${base}/v1/admin/payments -H 'authorization: Bearer ${operator.key}'`,
    `  curl -s ${base}/v1/admin/refund-requests -H 'authorization: Bearer ${operator.key}'`,
    `  # pay on the website flow with the sandbox bank's test card ${APPROVING_CARD}, any future expiry and CVC`,
    ''
  ].join('\n'))
}
