import { pino } from 'pino'
import { ConfigError, loadToolConfig } from '../config.js'
import { resolveDatabase } from '../database-and-keys.js'
import { migrateDatabase } from '../migrate-database.js'

/**
 * `npm run migrate`: every pending migration, as the owner: MIGRATION_DATABASE_URL (default DATABASE_URL), or the
 * embedded database's superuser.
 */
const log = pino({ level: 'info' })
try {
  const config = loadToolConfig(process.env, {
    PII_ENCRYPTION_KEY: undefined,
    PII_INDEX_KEY: undefined,
    ...pickKeys()
  })
  const database = await resolveDatabase(config, { info: (m) => { log.info(m) }, warn: (m) => { log.warn(m) } })
  try {
    const applied = await migrateDatabase(database.migrationUrl, log)
    log.info({ applied }, applied.length === 0 ? 'database already up to date' : 'migrations applied')
  } finally {
    await database.embedded?.stop()
  }
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? 'Configuration error' : 'Migration failed'}: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
}

/**
 * Migrations need no PII keys (nor a bank or a mailer: BANK_MODE and MAIL_MODE
 * default above); placeholders keep the config check from asking for them.
 */
function pickKeys (): Record<string, string> {
  const placeholder = Buffer.alloc(32).toString('base64')
  return {
    PII_ENCRYPTION_KEY: process.env.PII_ENCRYPTION_KEY ?? placeholder,
    PII_INDEX_KEY: process.env.PII_INDEX_KEY ?? placeholder
  }
}
