import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AppConfig } from '../../src/config.js'
import { startEmbeddedPostgres } from '../../src/db/embedded.js'
import { testConfig } from '../helpers/app.js'

/**
 * What the benches share: a temp directory, and the database named by `urlVariable` (an EMPTY throwaway one: it is
 * migrated and filled) or an embedded Postgres in that directory. `close` stops it and removes the directory.
 */
export async function benchDatabase (
  name: string, urlVariable: string
): Promise<{ url: string, dir: string, close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), `debt-payments-${name}-`))
  chmodSync(dir, 0o755)
  let url = process.env[urlVariable]
  let stop = async (): Promise<void> => {}
  if (url === undefined || url === '') {
    const embedded = await startEmbeddedPostgres({ baseDir: join(dir, 'pg') })
    url = embedded.url('postgres')
    stop = async () => { await embedded.stop() }
  }
  const close = async (): Promise<void> => {
    try { await stop() } finally { rmSync(dir, { recursive: true, force: true }) }
  }
  return { url, dir, close }
}

/** The service as production runs it, with its rate limits and risk rules out of the way of one client. */
export function benchConfig (databaseUrl: string, base: string, env: Record<string, string> = {}): AppConfig {
  const unlimited = String(1_000_000_000)
  return testConfig(databaseUrl, {
    PUBLIC_BASE_URL: base,
    LOG_LEVEL: 'info',
    // the guards run as always; their limits are out of the way of one client sending everything
    RATE_LIMIT_PER_MINUTE: unlimited,
    LOOKUP_RATE_LIMIT_PER_MINUTE: unlimited,
    CALLBACK_RATE_LIMIT_PER_MINUTE: unlimited,
    RISK_MAX_PAYMENTS_PER_HOUR_PER_IP: unlimited,
    RISK_MAX_PAYMENTS_PER_HOUR_PER_IIN: unlimited,
    RISK_MAX_PAYMENTS_PER_HOUR_PER_EMAIL: unlimited,
    ...env
  })
}
