// `npm run docs:config` writes docs/configuration.md from the config schema; `npm run docs:check` fails when the
// committed copy is stale (CI runs it, like openapi:check).
import { readFileSync, writeFileSync } from 'node:fs'
import { CONFIGURATION_DOC, configurationDocument } from './config-docs.js'

const FILE = new URL(`../${CONFIGURATION_DOC}`, import.meta.url)
const mode = process.argv[2]
const document = configurationDocument()
if (mode === 'write') {
  writeFileSync(FILE, document)
  process.stdout.write(`${CONFIGURATION_DOC} written\n`)
} else if (mode === 'check') {
  let committed = ''
  try { committed = readFileSync(FILE, 'utf8') } catch { /* no committed copy yet: stale */ }
  if (committed !== document) {
    process.stderr.write(`${CONFIGURATION_DOC} is stale: run \`npm run docs:config\` and commit the result\n`)
    process.exit(1)
  }
  process.stdout.write(`${CONFIGURATION_DOC} is up to date\n`)
} else {
  process.stderr.write('usage: config-docs-cli.ts write|check\n')
  process.exit(2)
}
