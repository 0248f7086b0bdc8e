// `npm run api-key -- create --name NAME --scopes admin[,operator]`: creates
// the first admin key (or any other) against DATABASE_URL and prints it once.
import { parseArgs } from 'node:util'
import { ConfigError, loadConfig } from './config.js'
import { createDatabase } from './db/database.js'
import { resolveDatabase } from './database-and-keys.js'
import { createApiKey } from './modules/api-keys/service.js'
import { SCOPES, type Scope } from './modules/api-keys/keys.js'

const USAGE = 'usage: npm run api-key -- create --name NAME --scopes admin|operator|partner[,…] [--creditors "Creditor A|cred_…"] (creditors, names or ids: required with partner)'

function fail (message: string, code = 2): never {
  process.stderr.write(`${message}\n`)
  process.exit(code)
}

const { positionals, values } = parseArgs({ allowPositionals: true, options: { name: { type: 'string' }, scopes: { type: 'string' }, creditors: { type: 'string' } } })
if (positionals[0] !== 'create' || values.name === undefined || values.scopes === undefined) fail(USAGE)
const scopes = values.scopes.split(',').map((s) => s.trim())
const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s))
if (unknown.length > 0) fail(`unknown scope(s): ${unknown.join(', ')}\n${USAGE}`)

try {
  const placeholder = Buffer.alloc(32).toString('base64') // no PII is touched here
  const config = loadConfig({
    PII_ENCRYPTION_KEY: placeholder,
    PII_INDEX_KEY: placeholder,
    BANK_MODE: 'sandbox',
    MAIL_MODE: 'sandbox',
    ...process.env,
    // it serves no /metrics: how that is guarded (METRICS_TOKEN or METRICS_PUBLIC) is the server's concern
    METRICS_TOKEN: undefined,
    METRICS_PUBLIC: 'true'
  })
  const database = await resolveDatabase(config, { info: () => {}, warn: (m) => { process.stderr.write(`warning: ${m}\n`) } })
  const handle = createDatabase(database.url, { max: 1 })
  try {
    // creditors' names hold commas ("АО «Банк», филиал"): separated by `|`
    const creditors = values.creditors === undefined ? undefined : values.creditors.split('|').map((c) => c.trim()).filter((c) => c !== '')
    const created = await createApiKey(handle.db, null, {
      name: values.name,
      scopes: scopes as Scope[],
      ...(creditors !== undefined ? { creditors } : {})
    })
    process.stdout.write(`Created API key ${created.id} (${created.scopes.join(', ')}) named "${created.name}".\n` +
      'Store it now, it is not shown again:\n\n' + `${created.key}\n`)
  } finally {
    await handle.close()
    await database.embedded?.stop()
  }
} catch (error) {
  fail(`${error instanceof ConfigError ? 'Configuration error' : 'Could not create the key'}: ${error instanceof Error ? error.message : String(error)}`, 1)
}
