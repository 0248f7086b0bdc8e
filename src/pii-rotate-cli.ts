// `npm run pii:rotate [-- --batch-size N] [--max-batches N]`: re-encrypts every ciphertext under a previous PII key
// (PII_PREVIOUS_KEYS) with the current one (PII_ENCRYPTION_KEY_ID), a batch per transaction, reporting progress;
// run it again to continue an interrupted run (db/pii-rotation.ts, docs/operations.md#pii-key-rotation).
import { parseArgs } from 'node:util'
import { ConfigError, loadConfig } from './config.js'
import { createDatabase } from './db/database.js'
import { rotatePiiKeys } from './db/pii-rotation.js'
import { resolveDatabase, resolvePiiKeys } from './database-and-keys.js'

const USAGE = `usage: npm run pii:rotate [-- --batch-size N] [--max-batches N]

Re-encrypts every encrypted column under the current PII key (PII_ENCRYPTION_KEY, PII_ENCRYPTION_KEY_ID); the
previous keys in PII_PREVIOUS_KEYS must still be set. Each batch of rows is its own transaction; run the command
again to continue an interrupted run (rows already under the current key are skipped). The blind-index key
(PII_INDEX_KEY) is not rotated: see docs/operations.md, "PII key rotation".

  --batch-size N    rows per transaction (default 500)
  --max-batches N   stop after N batches (the next run continues)
  --help            this text`

function fail (message: string, code = 2): never {
  process.stderr.write(`${message}\n`)
  process.exit(code)
}

function positive (name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a positive integer\n\n${USAGE}`)
  return n
}

let parsed
try {
  parsed = parseArgs({
    options: { 'batch-size': { type: 'string' }, 'max-batches': { type: 'string' }, help: { type: 'boolean' } }
  })
} catch (error) {
  fail(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`)
}
const { values } = parsed
if (values.help === true) {
  process.stdout.write(`${USAGE}\n`)
  process.exit(0)
}
const batchSize = positive('batch-size', values['batch-size'])
const maxBatches = positive('max-batches', values['max-batches'])

try {
  const config = loadConfig({
    BANK_MODE: 'sandbox',
    MAIL_MODE: 'sandbox',
    ...process.env,
    // it serves no /metrics and calls no bank: those are the server's concerns
    METRICS_TOKEN: undefined,
    METRICS_PUBLIC: 'true'
  })
  const log = { info: () => {}, warn: (m: string) => { process.stderr.write(`warning: ${m}\n`) } }
  const database = await resolveDatabase(config, log)
  const keys = resolvePiiKeys(config, log)
  const handle = createDatabase(database.url, { max: 1 })
  try {
    const previous = [...keys.encryptionKeys.keys()].filter((id) => id !== keys.currentKeyId)
    process.stdout.write(`Re-encrypting under key ${keys.currentKeyId} what is under ` +
      `${previous.length === 0 ? 'no previous key (PII_PREVIOUS_KEYS is empty)' : previous.join(', ')}\n`)
    const report = await rotatePiiKeys(handle.db, keys, {
      ...(batchSize !== undefined ? { batchSize } : {}),
      ...(maxBatches !== undefined ? { maxBatches } : {}),
      onProgress: ({ table, column, done, total }) => { process.stdout.write(`${table}.${column}: ${done}/${total}\n`) }
    })
    for (const column of report.columns.filter((c) => c.unknownKey > 0)) {
      process.stderr.write(`warning: ${column.table}.${column.column}: ${column.unknownKey} values under a key id ` +
        'neither current nor in PII_PREVIOUS_KEYS, left as they are\n')
    }
    process.stdout.write(report.complete
      ? `Done: ${report.rotated} values re-encrypted; nothing is left under a previous key.\n`
      : `Stopped after --max-batches: ${report.rotated} values re-encrypted; run the command again to continue.\n`)
  } finally {
    await handle.close()
    await database.embedded?.stop()
  }
} catch (error) {
  fail(`${error instanceof ConfigError ? 'Configuration error' : 'Rotation failed'}: ` +
    `${error instanceof Error ? error.message : String(error)}`, 1)
}
