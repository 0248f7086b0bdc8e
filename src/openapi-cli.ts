// `npm run openapi` writes openapi/openapi.json from the route schemas;
// `npm run openapi:check` fails when the committed copy is stale. The app
// is built without touching a database (the pool connects lazily).
import { readFileSync, writeFileSync } from 'node:fs'
import { buildApp } from './app.js'
import { loadConfig } from './config.js'
import { generateKey } from './lib/crypto.js'

const FILE = new URL('../openapi/openapi.json', import.meta.url)

export async function generateOpenApi (): Promise<string> {
  const config = loadConfig({ PUBLIC_BASE_URL: 'http://127.0.0.1:3000', LOG_LEVEL: 'silent' })
  const app = await buildApp({
    ...config,
    databaseUrl: 'postgres://openapi@127.0.0.1:1/unused',
    piiKeys: { currentKeyId: 'k1', encryptionKeys: new Map([['k1', generateKey()]]), indexKey: generateKey() }
  }, { logger: false })
  await app.ready()
  const document = JSON.stringify(app.swagger(), null, 2) + '\n'
  await app.close()
  return document
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const mode = process.argv[2]
  const document = await generateOpenApi()
  if (mode === 'write') {
    writeFileSync(FILE, document)
    process.stdout.write('openapi/openapi.json written\n')
  } else if (mode === 'check') {
    let committed = ''
    try { committed = readFileSync(FILE, 'utf8') } catch { /* no committed copy yet: stale */ }
    if (committed !== document) {
      process.stderr.write('openapi/openapi.json is stale: run `npm run openapi` and commit the result\n')
      process.exit(1)
    }
    process.stdout.write('openapi/openapi.json is up to date\n')
  } else {
    process.stderr.write('usage: openapi-cli.ts write|check\n')
    process.exit(2)
  }
}
