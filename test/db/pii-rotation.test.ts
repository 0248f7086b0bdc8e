import t from 'tap'
import { spawn } from 'node:child_process'
import pg from 'pg'
import { buildApp } from '../../src/app.js'
import { createPiiCipher, generateKey, type PiiKeys } from '../../src/lib/crypto.js'
import {
  APPEND_ONLY_TABLES, encryptedColumns, MAX_PASSES, rotatePiiKeys, rotationPlans, TRIGGER_BATCH_SIZE
} from '../../src/db/pii-rotation.js'
import { INDEX_TABLES, rebuildBlindIndexes } from '../../src/db/blind-index-rebuild.js'
import { createDatabase } from '../../src/db/database.js'
import { debtRowSourceHash, emailIndex, iinIndex, ipIndex, phoneIndex } from '../../src/lib/blind-index.js'
import { uuidv7 } from '../../src/lib/ids.js'
import { createKey, startTestWorker, testConfig } from '../helpers/app.js'
import { accept, createListeningApp, PAYER, postJson, seedDebts, startPayment, submitAtBank } from '../helpers/payments.js'
import { importPortfolio, makeRow } from '../helpers/portfolio.js'

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
const k3 = generateKey()

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
  const first = await rotatePiiKeys(db, both, { batchSize: 2, maxBatches: 1, onProgress: (p) => { progress.push(`${p.table} ${p.done}/${p.total}`) } })
  t.match(first, { complete: false, clean: false }, 'stopped after one batch')
  t.ok(first.rotated > 0)
  t.equal(progress.length, 1)
  t.match(progress[0], /^acceptances \d+\/\d+$/)
  const middle = await ciphertexts()
  t.same(keyIds(middle), new Set(['k1', 'k2']), 'two key ids in the database now')
  const halves = await reader.query(`select id from acceptances where split_part(payer_full_name_encrypted, '.', 2) <>
    all(array[split_part(payer_email_encrypted, '.', 2), split_part(payer_phone_encrypted, '.', 2),
    split_part(ip_encrypted, '.', 2)])`)
  t.equal(halves.rows.length, 0, 'a row\'s encrypted columns are rewritten together, in one UPDATE')
  const rotatedRows = await reader.query("select id from acceptances where payer_email_encrypted like 'v1.k2.%'")
  t.equal(rotatedRows.rows.length, 2, 'the batch was two rows, each with all its columns')

  const rest = await rotatePiiKeys(db, both, { batchSize: 3 })
  t.match(rest, { rotated: total - first.rotated, complete: true, clean: true, passes: 1, unreadable: [] },
    'the next run did the rest, and no value twice')
  t.ok(rest.columns.every((c) => c.unknownKey === 0 && c.left === 0))
  const after = await ciphertexts()
  t.same(keyIds(after), new Set(['k2']), 'every ciphertext is under k2')
  t.same(plaintexts(after), plaintexts(before), 'and reads as before')

  const again = await rotatePiiKeys(db, both)
  t.match(again, { rotated: 0, complete: true, clean: true, passes: 0 })
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
  t.match(stopped.stdout, /Re-encrypting under key k3 what is under k2\n[a-z_]+: \d+\/\d+\nStopped after --max-batches/)
  const done = await cli([], env)
  t.equal(done.code, 0, done.stderr)
  t.match(done.stdout, /Done: \d+ values re-encrypted/)
  t.same(keyIds(await ciphertexts()), new Set(['k3']))
  const missing = await cli([], { ...env, PII_PREVIOUS_KEYS: '' })
  t.equal(missing.code, 0)
  t.match(missing.stdout, /no previous key \(PII_PREVIOUS_KEYS is empty\)[\s\S]*Done: 0 values/)
})

/**
 * After the cli run everything is under k3. The next tests put values back under k2 (a process still on the old
 * configuration) or break them, and rotate to k3 again with k2 as previous.
 */
const toK3: PiiKeys = { currentKeyId: 'k3', encryptionKeys: new Map([['k2', k2], ['k3', k3]]), indexKey }
const underK2 = createPiiCipher({ currentKeyId: 'k2', encryptionKeys: new Map([['k2', k2]]), indexKey })
const anyKey = createPiiCipher({ currentKeyId: 'k3', encryptionKeys: new Map([['k1', k1], ['k2', k2], ['k3', k3]]), indexKey })
const acceptanceIds = async () =>
  (await reader.query<{ id: string }>('select id from acceptances order by id')).rows.map((r) => r.id)
/** Put one column of one acceptance back under k2 (as a process on the old configuration writes it). */
async function backToK2 (id: string, column = 'payer_full_name_encrypted'): Promise<void> {
  const stored = await reader.query<{ v: string }>(`select ${column} as v from acceptances where id = $1`, [id])
  await reader.query(`update acceptances set ${column} = $1 where id = $2`,
    [underK2.encrypt(anyKey.decrypt(stored.rows[0]?.v as string)), id])
}

t.test('how each table is walked: by its key, by heap blocks without a single-column one, small with a trigger', async (t) => {
  const plans = await rotationPlans(db, await encryptedColumns(db), 500)
  const plan = (table: string) => plans.find((p) => p.table === table)
  t.match(plan('acceptances'), { key: { column: 'id', type: 'uuid' }, batchSize: 500 })
  t.equal(plan('acceptances')?.columns.length, 4, 'one walk of acceptances for its four columns')
  t.match(plan('bank_callbacks'), { key: { column: 'id', type: 'bigint' } })
  t.match(plan('idempotency_keys'), { key: null, label: ['principal', 'key'] }, 'a composite key: by heap blocks')
  t.match(plan('debt_import_rows'), { key: null, label: ['import_id', 'line'] })
  t.equal(plan('refunds')?.batchSize, TRIGGER_BATCH_SIZE, 'refunds lock their payment in a trigger: small batches')
})

t.test('a value written under a previous key behind the walk is caught by another pass', async (t) => {
  const ids = await acceptanceIds()
  await backToK2(ids[0] as string)
  // a stored idempotent answer (walked by heap blocks) under k2 too, and the hook fires while that table is walked
  await reader.query(`update idempotency_keys set response_body = $1
    where ctid = (select ctid from idempotency_keys where response_body is not null limit 1)`,
  [underK2.encrypt('{"replayed":true}')])
  let written = false
  const report = await rotatePiiKeys(db, toK3, {
    batchSize: 1,
    onProgress: async (p) => {
      if (p.table === 'idempotency_keys' && !written) { written = true; await backToK2(ids[1] as string, 'ip_encrypted') }
    }
  })
  t.ok(written, 'a value was written behind the walk')
  t.match(report, { passes: 2, complete: true, clean: true })
  t.same(keyIds(await ciphertexts()), new Set(['k3']), 'nothing is left under k2')
})

t.test('values written behind every pass: after the last one they are reported as left', async (t) => {
  const ids = await acceptanceIds()
  const [head, tail] = [ids[0] as string, ids.at(-1) as string]
  await backToK2(head)
  await backToK2(tail)
  const report = await rotatePiiKeys(db, toK3, {
    batchSize: 1,
    onProgress: async () => { await backToK2(head); await backToK2(tail) }
  })
  t.match(report, { passes: MAX_PASSES, complete: true, clean: false, unreadable: [] })
  t.match(report.columns.find((c) => c.column === 'payer_full_name_encrypted'), { table: 'acceptances', left: 2 })
  const again = await rotatePiiKeys(db, toK3)
  t.match(again, { passes: 1, clean: true }, 'once the writer is gone, a run finishes')
})

t.test('a ciphertext that does not decrypt is reported by row and skipped; the rest is rotated', async (t) => {
  const ids = await acceptanceIds()
  const broken = ids[0] as string
  const stored = await reader.query<{ v: string }>('select payer_phone_encrypted as v from acceptances where id = $1', [broken])
  const phone = anyKey.decrypt(stored.rows[0]?.v as string)
  const parts = underK2.encrypt(phone).split('.')
  const tag = parts[4] as string
  const corrupt = [...parts.slice(0, 4), `${tag.startsWith('A') ? 'B' : 'A'}${tag.slice(1)}`].join('.')
  await reader.query('update acceptances set payer_phone_encrypted = $1 where id = $2', [corrupt, broken])
  await backToK2(broken)
  for (const id of ids.slice(1)) await backToK2(id, 'payer_email_encrypted')

  const report = await rotatePiiKeys(db, toK3, { batchSize: 1 })
  t.match(report, {
    complete: true,
    clean: false,
    passes: 1,
    unreadable: [{ table: 'acceptances', column: 'payer_phone_encrypted', row: broken, error: 'ciphertext failed authentication' }]
  })
  t.match(report.columns.find((c) => c.column === 'payer_phone_encrypted'), { left: 1, unreadable: 1, rotated: 0 })
  t.equal(report.columns.find((c) => c.column === 'payer_email_encrypted')?.rotated, ids.length - 1, 'the rows after it too')
  t.equal(report.columns.find((c) => c.column === 'payer_full_name_encrypted')?.rotated, 1, 'and the broken row\'s other columns')
  const after = await ciphertexts()
  t.same([...after.values()].flat().filter((v) => v.split('.')[1] !== 'k3'), [corrupt], 'only the corrupt value is left')

  // the command: exit 1 naming the row, and a value under a key id it was not given
  const stray = createPiiCipher({ currentKeyId: 'kx', encryptionKeys: new Map([['kx', generateKey()]]), indexKey })
  const mail = await reader.query<{ id: string, v: string }>('select id, recipient_encrypted as v from mail_outbox limit 1')
  const mailRow = mail.rows[0] as { id: string, v: string }
  await reader.query('update mail_outbox set recipient_encrypted = $1 where id = $2', [stray.encrypt('x@example.kz'), mailRow.id])
  const env = {
    DATABASE_URL: databaseUrl,
    PII_ENCRYPTION_KEY: k3.toString('base64'),
    PII_ENCRYPTION_KEY_ID: 'k3',
    PII_PREVIOUS_KEYS: `k2:${k2.toString('base64')}`,
    PII_INDEX_KEY: indexKey.toString('base64'),
    LOG_LEVEL: 'silent'
  }
  const run = await cli([], env)
  t.equal(run.code, 1, 'not done: exit 1')
  t.match(run.stderr, `acceptances.payer_phone_encrypted row ${broken}: does not decrypt`)
  t.match(run.stderr, /mail_outbox\.recipient_encrypted: 1 values under a key id neither current nor in PII_PREVIOUS_KEYS/)
  t.notMatch(run.stdout, /Done/)
  t.match(run.stdout, /Not done: 0 values re-encrypted/)

  await reader.query('update acceptances set payer_phone_encrypted = $1 where id = $2', [anyKey.encrypt(phone), broken])
  await reader.query('update mail_outbox set recipient_encrypted = $1 where id = $2', [mailRow.v, mailRow.id])
  const fixed = await cli([], env)
  t.equal(fixed.code, 0, fixed.stderr)
  t.match(fixed.stdout, /Done: 0 values re-encrypted; nothing is left under a previous key/)
})

/**
 * `--rebuild-indexes`: the blind indexes were written under index key A (the app's); the operator sets
 * PII_INDEX_KEY=B and PII_PREVIOUS_INDEX_KEY=A with the service stopped. Every index with a stored plaintext is
 * rewritten under B (in batches, resumable), after which a service holding B finds the debts and payments as before.
 */
const A = indexKey
const B = generateKey()
const allKeys = new Map([['k1', k1], ['k2', k2], ['k3', k3]])
const underA: PiiKeys = { currentKeyId: 'k3', encryptionKeys: allKeys, indexKey: A }
const underB: PiiKeys = { ...underA, indexKey: B }
const hmacA = createPiiCipher(underA)
const hmacB = createPiiCipher(underB)
const PHONE = '+77012345678' // PAYER's phone as stored
const portfolio = [makeRow(7_300_001, { creditor: 'АО «Ротация»' }), makeRow(7_300_002, { creditor: 'АО «Ротация»' })]
let oldPaymentId = ''
let stagedExpected: string[] = []

/** Every index column the rebuild knows, by table.column, keyed by row. */
async function indexes (): Promise<Map<string, string | null>> {
  const found = new Map<string, string | null>()
  for (const table of INDEX_TABLES) {
    const key = table.key.column === 'ctid' ? "import_id || ':' || line" : table.key.column
    const columns = Object.keys(table.indexes)
    const rows = await reader.query<Record<string, string | null>>(
      `select ${key} as key, ${columns.join(', ')} from ${table.table}`)
    for (const row of rows.rows) for (const c of columns) found.set(`${table.table}.${c} ${String(row.key)}`, row[c] ?? null)
  }
  return found
}

t.test('data with indexes under key A: an imported portfolio, payments, a refusal, a privacy request, mail', async (t) => {
  await startTestWorker(t, app, config)
  const operator = await createKey(app, ['operator'])
  const imported = await importPortfolio(app, operator.authorization, portfolio)
  t.equal(imported.rowsImported, 2)
  const lookup = await postJson(`${base}/v1/debts/lookup`, { contractNumber: portfolio[0]?.contract, iin: portfolio[0]?.iin })
  t.equal(lookup.status, 200)
  const debtId = (await lookup.json() as { debtId: string }).debtId
  const acceptance = await accept(base, debtId)
  const started = await startPayment(base, acceptance.id, 10_000)
  t.equal(started.status, 201)
  oldPaymentId = (await started.json() as { id: string }).id
  // a payment made before migration 0038: no phone index
  await reader.query(`update payments set phone_index = null where acceptance_id = (select acceptance_id from payments
    where phone_index is not null order by id desc limit 1)`)
  await reader.query(`insert into payment_refusals (acceptance_id, reason, amount, ip_index, iin_index, email_index)
    select a.id, 'too_many_payments_ip', 100, $1, d.debtor_iin_index, a.payer_email_index
    from acceptances a join debts d on d.id = a.debt_id order by a.id desc limit 1`, [ipIndex(hmacA, '127.0.0.1')])
  const privacy = await postJson(`${base}/v1/privacy-requests`, { email: 'Rotation@Example.kz', fullName: 'Ротация Р.' })
  t.equal(privacy.status, 201, await privacy.text())
  // a row staged by an import that has not run yet
  const staged = makeRow(7_300_003, { creditor: 'АО «Ротация»' })
  const fingerprint = { contractNumber: staged.contract, iin: staged.iin, debtorName: staged.name, creditor: staged.creditor, claim: '100' }
  const importId = uuidv7()
  await reader.query("insert into debt_imports (id, status, file_bytes) values ($1, 'queued', 0)", [importId])
  await reader.query(`insert into debt_import_rows (import_id, line, contract_number, contract_number_normalized,
    debtor_iin_index, debtor_iin_encrypted, debtor_name_encrypted, creditor, claim_amount, source_hash)
    values ($1, 2, $2, $2, $3, $4, $5, $6, 100, $7)`, [importId, staged.contract, iinIndex(hmacA, staged.iin),
    hmacA.encrypt(staged.iin), hmacA.encrypt(staged.name), staged.creditor, debtRowSourceHash(hmacA, fingerprint)])
  stagedExpected = [iinIndex(hmacB, staged.iin), debtRowSourceHash(hmacB, fingerprint)]
  // an erasure's tombstone beside a real recipient (the destruction confirmation): never indexed
  await reader.query("update mail_outbox set recipient_index = 'erased:test' " +
    'where id = (select id from mail_outbox order by id limit 1)')
})

t.test('--rebuild-indexes: rebuilt under B in batches, resumed, then a run changes nothing', async (t) => {
  const configB = { ...testConfig(databaseUrl, { PUBLIC_BASE_URL: base }), piiKeys: underB }
  const serviceB = await buildApp(configB, { logger: false })
  t.teardown(async () => { await serviceB.close() })
  const row = portfolio[0] as { contract: string, iin: string }
  const lookup = async () => await serviceB.inject({ method: 'POST', url: '/v1/debts/lookup', payload: { contractNumber: row.contract, iin: row.iin } })
  t.equal((await lookup()).statusCode, 404, 'before the rebuild a service holding B does not find the debt')

  const before = await indexes()
  const first = await rebuildBlindIndexes(db, underB, { previousIndexKey: A, batchSize: 2, maxBatches: 1 })
  t.match(first, { rows: 2, complete: false }, 'stopped after one batch')
  const progress: string[] = []
  const rest = await rebuildBlindIndexes(db, underB, {
    previousIndexKey: A, batchSize: 3, onProgress: (p) => { progress.push(p.table) }
  })
  t.equal(rest.complete, true)
  t.ok(progress.includes('payments') && progress.includes('mail_outbox'), 'progress names the tables')
  const column = (name: string) => rest.columns.find((c) => `${c.table}.${c.column}` === name)
  t.equal(column('payments.phone_index')?.filled, 1, 'the old payment gets a phone index')
  t.equal(column('debts.source_hash')?.unmatched, 3, 'the seeded debts\' fingerprints are no import\'s: left')
  t.ok(rest.columns.filter((c) => c.column !== 'source_hash').every((c) => c.unmatched === 0), 'nothing else unmatched')
  t.ok((column('debts.debtor_iin_index')?.rebuilt ?? 0) + (column('acceptances.ip_index')?.rebuilt ?? 0) > 0)

  const after = await indexes()
  t.equal(after.size, before.size)
  const changed = [...after].filter(([k, v]) => before.get(k) !== v).length
  t.equal(changed, [...before].filter(([, v]) => v !== null && v !== 'erased:test' && !v.startsWith('seed-')).length + 1,
    'every index with a plaintext changed (and the missing phone index was filled)')
  t.ok([...after].some(([k, v]) => k.startsWith('mail_outbox.') && v === 'erased:test'), 'the tombstone stays')

  // every index is the HMAC under B of its plaintext
  const debts = await reader.query<{ iin: string, index: string }>('select debtor_iin_encrypted as iin, debtor_iin_index as index from debts')
  for (const d of debts.rows) t.equal(d.index, iinIndex(hmacB, hmacB.decrypt(d.iin)))
  const payments = await reader.query<Record<string, string>>(`select p.email_index, p.iin_index, p.phone_index,
    a.payer_email_encrypted as email, a.payer_phone_encrypted as phone, d.debtor_iin_encrypted as iin
    from payments p join acceptances a on a.id = p.acceptance_id join debts d on d.id = p.debt_id`)
  for (const p of payments.rows) {
    t.same([p.email_index, p.iin_index, p.phone_index], [emailIndex(hmacB, hmacB.decrypt(p.email as string)),
      iinIndex(hmacB, hmacB.decrypt(p.iin as string)), phoneIndex(hmacB, hmacB.decrypt(p.phone as string))])
  }

  const staged = await reader.query('select debtor_iin_index, source_hash from debt_import_rows')
  t.same(staged.rows.map((r) => [r.debtor_iin_index, r.source_hash]), [stagedExpected], 'the staged row too')
  await reader.query('delete from debt_import_rows')
  await reader.query("update debt_imports set status = 'failed' where status = 'queued'")
  const settled = await indexes()

  const again = await rebuildBlindIndexes(db, underB, { previousIndexKey: A })
  t.match(again, { rows: 0, complete: true }, 'a second run writes nothing')
  t.same(await indexes(), settled)

  // the service holding B finds what a service holding A found
  const found = await lookup()
  t.equal(found.statusCode, 200, found.body)
  const operator = await createKey(serviceB, ['operator'])
  const search = async (query: string) => (await serviceB.inject({
    method: 'GET', url: `/v1/admin/payments?${query}`, headers: { authorization: operator.authorization }
  })).json().data.map((p: { id: string }) => p.id) as string[]
  t.ok((await search(`iin=${row.iin}`)).includes(oldPaymentId), 'a payment by the debtor\'s IIN')
  t.ok((await search(`email=${encodeURIComponent(PAYER.email)}`)).includes(oldPaymentId), 'by the payer\'s email')
  t.ok((await search(`phone=${encodeURIComponent(PHONE)}`)).includes(oldPaymentId), 'by the phone, filled for it')
  t.equal((await search(`phone=${encodeURIComponent(PHONE)}`)).length, payments.rows.length, 'every card payment')
  const debtsByIin = await serviceB.inject({ method: 'GET', url: `/v1/admin/debts?iin=${row.iin}`, headers: { authorization: operator.authorization } })
  t.equal(debtsByIin.json().data[0]?.id, found.json().debtId, 'the debt by the debtor\'s IIN')

  // a re-import of the same portfolio under B: unchanged, nothing adjusted
  await startTestWorker(t, serviceB, configB)
  const reimported = await importPortfolio(serviceB, operator.authorization, portfolio)
  t.match(reimported, { rowsUnchanged: 2, rowsImported: 0, rowsAdjusted: 0 }, 'the fingerprints were rebuilt too')
})

t.test('npm run pii:rotate -- --rebuild-indexes: help; without a previous key it fills missing indexes only', async (t) => {
  const help = await cli(['--help'], {})
  t.match(help.stdout, /--rebuild-indexes/)
  await reader.query('update payments set phone_index = null where id = (select id from payments where acceptance_id is not null order by id desc limit 1)')
  const env = {
    DATABASE_URL: databaseUrl,
    PII_ENCRYPTION_KEY: k3.toString('base64'),
    PII_ENCRYPTION_KEY_ID: 'k3',
    PII_PREVIOUS_KEYS: `k1:${k1.toString('base64')},k2:${k2.toString('base64')}`,
    PII_INDEX_KEY: B.toString('base64'),
    LOG_LEVEL: 'silent'
  }
  const before = await indexes()
  const filled = await cli(['--rebuild-indexes'], env)
  t.equal(filled.code, 0, filled.stderr)
  t.match(filled.stdout, /PII_PREVIOUS_INDEX_KEY is not set[\s\S]*payments\.phone_index: 0 rebuilt, 1 filled[\s\S]*Done: 1 rows/)
  t.match(filled.stderr, /debts\.source_hash: 3 values match neither/)
  const after = await indexes()
  t.equal([...after].filter(([k, v]) => before.get(k) !== v).length, 1, 'only the missing index was written')

  const withPrevious = await cli(['--rebuild-indexes', '--batch-size', '2'], { ...env, PII_PREVIOUS_INDEX_KEY: A.toString('base64') })
  t.equal(withPrevious.code, 0, withPrevious.stderr)
  t.match(withPrevious.stdout, /Rebuilding blind indexes from PII_PREVIOUS_INDEX_KEY[\s\S]*Done: 0 rows rewritten/)
  t.same(await indexes(), after)
})
