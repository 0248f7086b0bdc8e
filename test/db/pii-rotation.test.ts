import t from 'tap'
import { spawn } from 'node:child_process'
import pg from 'pg'
import { buildApp } from '../../src/app.js'
import { createPiiCipher, generateKey, type PiiKeys } from '../../src/lib/crypto.js'
import { APPEND_ONLY_TABLES, encryptedColumns, rotatePiiKeys } from '../../src/db/pii-rotation.js'
import { createDatabase } from '../../src/db/database.js'
import { testConfig } from '../helpers/app.js'
import { accept, createListeningApp, seedDebts, startPayment, submitAtBank } from '../helpers/payments.js'

/**
 * `npm run pii:rotate` on a database holding ciphertexts under two key ids: rows written under k1, then k2 made
 * current with k1 kept as previous. The run goes in batches (one batch first, as if interrupted, then the rest),
 * as the service's login (which cannot disable a trigger); afterwards every ciphertext of every column is under k2
 * and reads the same, a service holding k2 alone serves lookups, and running it again changes nothing.
 */
const { app, base, config, databaseUrl } = await createListeningApp(t, {}, { serviceRole: true })
const k1 = config.piiKeys?.encryptionKeys.get('k1') as Buffer
const indexKey = config.piiKeys?.indexKey as Buffer
const k2 = generateKey()
const both: PiiKeys = { currentKeyId: 'k2', encryptionKeys: new Map([['k1', k1], ['k2', k2]]), indexKey }
const read = createPiiCipher(both)

// personal data under k1: debts, acceptances, payments and their callbacks, stored idempotent answers
const debts = await seedDebts(app, 3)
for (const debt of debts) {
  const acceptance = await accept(base, debt.id)
  const payment = await (await startPayment(base, acceptance.id, 10_000)).json() as { redirectUrl: string }
  const paid = await submitAtBank(payment.redirectUrl)
  if (paid.status !== 303) throw new Error(`the bank answered ${paid.status}`)
}

const handle = createDatabase(databaseUrl, { max: 2 })
t.teardown(async () => { await handle.close() })
const db = handle.db
const reader = new pg.Client({ connectionString: databaseUrl })
await reader.connect()
t.teardown(async () => { await reader.end() })

/** Every text value of the schema that is a ciphertext, by table.column, as stored. */
async function ciphertexts (): Promise<Map<string, string[]>> {
  const columns = await reader.query<{ table_name: string, column_name: string }>(`
    select c.table_name, c.column_name from information_schema.columns c
    join information_schema.tables t using (table_schema, table_name)
    where c.table_schema = current_schema() and t.table_type = 'BASE TABLE' and c.data_type in ('text', 'character varying')`)
  const found = new Map<string, string[]>()
  for (const { table_name: table, column_name: column } of columns.rows) {
    const rows = await reader.query<{ v: string }>(`select "${column}" as v from "${table}" where "${column}" like 'v1.%.%.%.%'`)
    if (rows.rows.length > 0) found.set(`${table}.${column}`, rows.rows.map((r) => r.v))
  }
  return found
}
const plaintexts = (found: Map<string, string[]>) =>
  new Map([...found].map(([name, values]) => [name, values.map((v) => read.decrypt(v)).sort()]))
const keyIds = (found: Map<string, string[]>) => new Set([...found.values()].flat().map((v) => v.split('.')[1]))

t.test('the columns found are every column holding a ciphertext, none in an append-only table', async (t) => {
  const columns = (await encryptedColumns(db)).map((c) => `${c.table}.${c.column}`)
  const stored = [...(await ciphertexts()).keys()]
  for (const name of stored) t.ok(columns.includes(name), `${name} is rotated`)
  for (const name of ['debts.debtor_iin_encrypted', 'acceptances.payer_email_encrypted', 'bank_callbacks.raw_encrypted',
    'idempotency_keys.response_body']) t.ok(stored.includes(name), `the data holds ${name}`)
  t.notOk(columns.some((c) => APPEND_ONLY_TABLES.includes(c.split('.')[0] as string)))
})

t.test('an interrupted run resumes; a finished run changes nothing', async (t) => {
  const before = await ciphertexts()
  t.same(keyIds(before), new Set(['k1']), 'everything is under k1')
  const total = [...before.values()].flat().length

  const progress: string[] = []
  const first = await rotatePiiKeys(db, both, { batchSize: 2, maxBatches: 1, onProgress: (p) => { progress.push(`${p.table}.${p.column} ${p.done}/${p.total}`) } })
  t.match(first, { rotated: 2, complete: false }, 'stopped after one batch')
  t.equal(progress.length, 1)
  t.match(progress[0], / 2\/\d+$/)
  const middle = await ciphertexts()
  t.same(keyIds(middle), new Set(['k1', 'k2']), 'two key ids in the database now')

  const rest = await rotatePiiKeys(db, both, { batchSize: 3 })
  t.match(rest, { rotated: total - 2, complete: true }, 'the next run did the rest, and no value twice')
  t.ok(rest.columns.every((c) => c.unknownKey === 0))
  const after = await ciphertexts()
  t.same(keyIds(after), new Set(['k2']), 'every ciphertext is under k2')
  t.same(plaintexts(after), plaintexts(before), 'and reads as before')

  const again = await rotatePiiKeys(db, both)
  t.match(again, { rotated: 0, complete: true })
  t.same(await ciphertexts(), after, 'a second run rewrites nothing')
})

t.test('a service holding k2 alone reads everything and its lookups still work', async (t) => {
  const keys = { currentKeyId: 'k2', encryptionKeys: new Map([['k2', k2]]), indexKey }
  const only = { ...testConfig(databaseUrl, { PUBLIC_BASE_URL: base }), piiKeys: keys }
  const fresh = await buildApp(only, { logger: false })
  t.teardown(async () => { await fresh.close() })
  const cipher = createPiiCipher(only.piiKeys)
  for (const values of (await ciphertexts()).values()) for (const value of values) cipher.decrypt(value)
  const debt = debts[0] as { contract: string, iin: string, id: string }
  const lookup = await fresh.inject({ method: 'POST', url: '/v1/debts/lookup', payload: { contractNumber: debt.contract, iin: debt.iin } })
  t.equal(lookup.statusCode, 200, lookup.body)
  t.equal(lookup.json().debtId, debt.id, 'the blind index still finds the debt')
  t.match(lookup.json().debtorName, /\*\*\*/, 'and its name decrypts under k2')
})

async function cli (
  args: string[], env: Record<string, string>
): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return await new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, 'src/pii-rotate-cli.ts', ...args],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString() })
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
    child.on('exit', (code) => { resolve({ code, stdout, stderr }) })
  })
}

t.test('npm run pii:rotate: help, a wrong call, and a run to the next key', async (t) => {
  const help = await cli(['--help'], {})
  t.equal(help.code, 0)
  t.match(help.stdout, /usage: npm run pii:rotate/)
  const wrong = await cli(['--batch-size', '0'], {})
  t.equal(wrong.code, 2)
  t.match(wrong.stderr, /--batch-size must be a positive integer/)

  const k3 = generateKey()
  const env = {
    DATABASE_URL: databaseUrl,
    PII_ENCRYPTION_KEY: k3.toString('base64'),
    PII_ENCRYPTION_KEY_ID: 'k3',
    PII_PREVIOUS_KEYS: `k2:${k2.toString('base64')}`,
    PII_INDEX_KEY: indexKey.toString('base64'),
    LOG_LEVEL: 'silent'
  }
  const stopped = await cli(['--batch-size', '5', '--max-batches', '1'], env)
  t.equal(stopped.code, 0, stopped.stderr)
  t.match(stopped.stdout, /Re-encrypting under key k3 what is under k2\n[a-z_]+\.[a-z_]+: \d+\/\d+\nStopped after --max-batches/)
  const done = await cli([], env)
  t.equal(done.code, 0, done.stderr)
  t.match(done.stdout, /Done: \d+ values re-encrypted/)
  t.same(keyIds(await ciphertexts()), new Set(['k3']))
  const missing = await cli([], { ...env, PII_PREVIOUS_KEYS: '' })
  t.equal(missing.code, 0)
  t.match(missing.stdout, /no previous key \(PII_PREVIOUS_KEYS is empty\)[\s\S]*Done: 0 values/)
})
