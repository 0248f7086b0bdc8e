// `npm run pii:rotate [-- --batch-size N] [--max-batches N]`: re-encrypts every ciphertext under a previous PII key
// (PII_PREVIOUS_KEYS) with the current one (PII_ENCRYPTION_KEY_ID), a batch per transaction, reporting progress;
// run it again to continue an interrupted run (db/pii-rotation.ts, docs/operations.md#pii-key-rotation).
// `--rebuild-indexes` instead rewrites the blind indexes under PII_INDEX_KEY (from PII_PREVIOUS_INDEX_KEY) and fills
// the missing ones, the service stopped (db/blind-index-rebuild.ts).
import { parseArgs } from 'node:util'
import { ConfigError, loadToolConfig } from './config.js'
import { createDatabase } from './db/database.js'
import { rotatePiiKeys, type RotationReport } from './db/pii-rotation.js'
import { rebuildBlindIndexes, type RebuildReport } from './db/blind-index-rebuild.js'
import { resolveDatabase, resolvePiiKeys } from './database-and-keys.js'

const USAGE = `usage: npm run pii:rotate [-- --rebuild-indexes] [--batch-size N] [--max-batches N]

Re-encrypts every encrypted column under the current PII key (PII_ENCRYPTION_KEY, PII_ENCRYPTION_KEY_ID); the
previous keys in PII_PREVIOUS_KEYS must still be set. Runs beside the live service.

With --rebuild-indexes it instead computes every blind index whose plaintext the database keeps (IIN, email, phone,
IP of an acceptance, a portfolio row's fingerprint) under PII_INDEX_KEY: a value equal to its HMAC under
PII_PREVIOUS_INDEX_KEY (the index key before the rotation) is rewritten, a missing payment phone index is filled
(also without PII_PREVIOUS_INDEX_KEY), anything else is left and counted. For a new index key stop the api and
the worker first: until a row is rebuilt, lookups under the new key do not find it.

Each table is walked in primary-key order, each batch of rows its own transaction; run the command again to
continue an interrupted run (rows already done are skipped, and a finished run changes nothing). The re-encryption
exits 1, naming them, when values are left under a previous key (after 3 passes), under a key id not given, or do
not decrypt; "Done" (exit 0) means the previous keys may be removed. See docs/operations.md, "PII key rotation".

  --rebuild-indexes rebuild the blind indexes (the service stopped)
  --batch-size N    rows per transaction (default 500)
  --max-batches N   stop after N batches that wrote rows (the next run continues)
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

function printRebuild (report: RebuildReport): void {
  for (const c of report.columns.filter((c) => c.rebuilt + c.filled + c.unmatched > 0)) {
    process.stdout.write(`${c.table}.${c.column}: ${c.rebuilt} rebuilt, ${c.filled} filled\n`)
  }
  for (const c of report.columns.filter((c) => c.unmatched > 0)) {
    process.stderr.write(`warning: ${c.table}.${c.column}: ${c.unmatched} values match neither PII_INDEX_KEY nor ` +
      'PII_PREVIOUS_INDEX_KEY, left as they are\n')
  }
  process.stdout.write(report.complete
    ? `Done: ${report.rows} rows rewritten; every index with a stored plaintext is under PII_INDEX_KEY.\n`
    : `Stopped after --max-batches: ${report.rows} rows rewritten; run the command again to continue.\n`)
}

/** A finished run: "Done" only when nothing is left under a previous or unknown key, else exit 1 naming what is. */
function printRotation (report: RotationReport): void {
  for (const u of report.unreadable) {
    process.stderr.write(`error: ${u.table}.${u.column} row ${u.row}: does not decrypt (${u.error}), left as it is\n`)
  }
  for (const c of report.columns.filter((c) => c.left > c.unreadable)) {
    process.stderr.write(`error: ${c.table}.${c.column}: ${c.left - c.unreadable} values still under a previous key ` +
      `after ${report.passes} passes (written under the old key meanwhile: is a process still on it?)\n`)
  }
  for (const c of report.columns.filter((c) => c.unknownKey > 0)) {
    process.stderr.write(`error: ${c.table}.${c.column}: ${c.unknownKey} values under a key id neither current nor ` +
      'in PII_PREVIOUS_KEYS, left as they are\n')
  }
  if (report.clean) {
    process.stdout.write(`Done: ${report.rotated} values re-encrypted; nothing is left under a previous key.\n`)
    return
  }
  process.stdout.write(`Not done: ${report.rotated} values re-encrypted, but values above are left; ` +
    'keep PII_PREVIOUS_KEYS.\n')
  process.exitCode = 1
}

let parsed
try {
  parsed = parseArgs({
    options: {
      'batch-size': { type: 'string' },
      'max-batches': { type: 'string' },
      'rebuild-indexes': { type: 'boolean' },
      help: { type: 'boolean' }
    }
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
  const config = loadToolConfig(process.env)
  const log = { info: () => {}, warn: (m: string) => { process.stderr.write(`warning: ${m}\n`) } }
  const database = await resolveDatabase(config, log)
  const keys = resolvePiiKeys(config, log)
  const handle = createDatabase(database.url, { max: 1 })
  try {
    if (values['rebuild-indexes'] === true) {
      const previousIndexKey = config.pii.previousIndexKey === null
        ? null
        : Buffer.from(config.pii.previousIndexKey, 'base64')
      process.stdout.write(previousIndexKey === null
        ? 'Filling missing blind indexes under PII_INDEX_KEY (PII_PREVIOUS_INDEX_KEY is not set: nothing is re-keyed)\n'
        : 'Rebuilding blind indexes from PII_PREVIOUS_INDEX_KEY under PII_INDEX_KEY\n')
      const report = await rebuildBlindIndexes(handle.db, keys, {
        previousIndexKey,
        ...(batchSize !== undefined ? { batchSize } : {}),
        ...(maxBatches !== undefined ? { maxBatches } : {}),
        onProgress: ({ table, scanned, written }) => {
          process.stdout.write(`${table}: ${scanned} rows read, ${written} rewritten\n`)
        }
      })
      printRebuild(report)
    } else {
      const previous = [...keys.encryptionKeys.keys()].filter((id) => id !== keys.currentKeyId)
      process.stdout.write(`Re-encrypting under key ${keys.currentKeyId} what is under ` +
        `${previous.length === 0 ? 'no previous key (PII_PREVIOUS_KEYS is empty)' : previous.join(', ')}\n`)
      const report = await rotatePiiKeys(handle.db, keys, {
        ...(batchSize !== undefined ? { batchSize } : {}),
        ...(maxBatches !== undefined ? { maxBatches } : {}),
        onProgress: ({ table, done, total, pass }) => {
          process.stdout.write(`${pass > 1 ? `pass ${pass}: ` : ''}${table}: ${done}/${total}\n`)
        }
      })
      if (!report.complete) {
        process.stdout.write(`Stopped after --max-batches: ${report.rotated} values re-encrypted; ` +
          'run the command again to continue.\n')
      } else {
        printRotation(report)
      }
    }
  } finally {
    await handle.close()
    await database.embedded?.stop()
  }
} catch (error) {
  fail(`${error instanceof ConfigError ? 'Configuration error' : 'Rotation failed'}: ` +
    `${error instanceof Error ? error.message : String(error)}`, 1)
}
