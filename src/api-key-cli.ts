// `npm run api-key -- create|list|revoke|help`: the back office's keys against DATABASE_URL (the first admin key
// included). A key's value is printed once, at creation; nothing here ever prints or logs it again. Usage goes to
// stdout when asked for (exit 0), to stderr after a wrong call (exit 2); a refusal of the service exits 1.
import { parseArgs } from 'node:util'
import { ConfigError, loadToolConfig } from './config.js'
import { createDatabase, type Database } from './db/database.js'
import { resolveDatabase } from './database-and-keys.js'
import { DomainError } from './lib/errors.js'
import type { Actor } from './lib/actor.js'
import { canonicalAllowedIps, createApiKey, listApiKeys, revokeApiKey } from './modules/api-keys/service.js'
import { SCOPES, type Scope } from './modules/api-keys/keys.js'
import type { ApiKey } from './modules/api-keys/schemas.js'

const USAGE = `usage: npm run api-key -- <command> [options]

commands:
  create --name NAME --scopes admin|operator|partner[,…] [--creditors "Creditor A|cred_…"]
         [--expires-at 2027-06-30T00:00:00+05:00] [--allowed-ips 203.0.113.7,10.0.0.0/8]
      creates a key and prints it once. --creditors (names or ids, separated by |) is required with partner
      and refused without it; --expires-at is an ISO 8601 moment in the future; --allowed-ips the addresses
      and CIDRs the key may be used from (any address without it)
  list
      every key: id, name, scopes, creditors, created, expires, allowed IPs, last used, revoked (never a value)
  revoke <key_id>
      the key stops working at once (the webhook endpoints it created are disabled); revoking twice is harmless
  help, --help, -h
      this text`

const ACTOR: Actor = { keyId: null, requestId: 'cli', ip: 'local' }

/** A wrong call: what is wrong and the usage, on stderr, exit 2. */
function wrongCall (message: string | null): never {
  process.stderr.write(`${message === null ? '' : `${message}\n\n`}${USAGE}\n`)
  process.exit(2)
}

function parse (): ReturnType<typeof parseArgs<{
  allowPositionals: true
  options: {
    name: { type: 'string' }, scopes: { type: 'string' }, creditors: { type: 'string' },
    'expires-at': { type: 'string' }, 'allowed-ips': { type: 'string' }, help: { type: 'boolean', short: 'h' }
  }
}>> {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        scopes: { type: 'string' },
        creditors: { type: 'string' },
        'expires-at': { type: 'string' },
        'allowed-ips': { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      }
    })
  } catch (error) {
    // an unknown flag, or a flag without its value: parseArgs says which
    wrongCall(error instanceof Error ? error.message : String(error))
  }
}

type Command =
  | { kind: 'create', input: Parameters<typeof createApiKey>[2] }
  | { kind: 'list' }
  | { kind: 'revoke', id: string }

/** The command the arguments name, checked before any connection is opened. */
function command (): Command {
  const { positionals, values } = parse()
  const [name, ...rest] = positionals
  if (values.help === true || name === 'help') {
    process.stdout.write(`${USAGE}\n`)
    process.exit(0)
  }
  if (name === undefined) wrongCall('a command is required')
  const createOnly = (['name', 'scopes', 'creditors', 'expires-at', 'allowed-ips'] as const)
    .filter((option) => values[option] !== undefined)
  if (name !== 'create' && createOnly.length > 0) wrongCall(`--${createOnly[0] as string} is an option of create only`)
  if (name === 'list') {
    if (rest.length > 0) wrongCall(`list takes no argument: ${rest.join(' ')}`)
    return { kind: 'list' }
  }
  if (name === 'revoke') {
    if (rest.length !== 1) wrongCall('revoke takes one key id (key_…)')
    return { kind: 'revoke', id: rest[0] as string }
  }
  if (name !== 'create') wrongCall(`unknown command: ${name}`)
  if (rest.length > 0) wrongCall(`create takes no argument: ${rest.join(' ')}`)
  if (values.name === undefined || values.name.trim() === '') wrongCall('create needs --name')
  if (values.scopes === undefined) wrongCall('create needs --scopes')
  const scopes = values.scopes.split(',').map((s) => s.trim())
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s))
  if (unknown.length > 0) wrongCall(`unknown scope(s): ${unknown.join(', ')}`)
  // creditors' names hold commas ("АО «Банк», филиал"): separated by `|`
  const creditors = values.creditors?.split('|').map((c) => c.trim()).filter((c) => c !== '')
  let expiresAt: string | undefined
  if (values['expires-at'] !== undefined) {
    const at = new Date(values['expires-at'])
    if (Number.isNaN(at.getTime())) wrongCall(`--expires-at: not a date and time: ${values['expires-at']}`)
    if (at.getTime() <= Date.now()) wrongCall(`--expires-at: must be in the future: ${values['expires-at']}`)
    expiresAt = at.toISOString()
  }
  let allowedIps: string[] | undefined
  if (values['allowed-ips'] !== undefined) {
    const entries = values['allowed-ips'].split(',').map((a) => a.trim()).filter((a) => a !== '')
    const { allowed, invalid } = canonicalAllowedIps(entries)
    if (invalid.length > 0 || allowed.length === 0) {
      wrongCall(`--allowed-ips: not an address or CIDR: ${invalid.join(', ') || '(none given)'}`)
    }
    allowedIps = allowed
  }
  return {
    kind: 'create',
    input: {
      name: values.name,
      scopes: scopes as Scope[],
      ...(creditors !== undefined ? { creditors } : {}),
      ...(expiresAt !== undefined ? { expiresAt } : {}),
      ...(allowedIps !== undefined ? { allowedIps } : {})
    }
  }
}

async function allKeys (db: Database): Promise<ApiKey[]> {
  const keys: ApiKey[] = []
  let startingAfter: string | undefined
  for (;;) {
    const page = await listApiKeys(db, { limit: 100, ...(startingAfter !== undefined ? { startingAfter } : {}) })
    keys.push(...page.data)
    if (!page.hasMore || page.nextCursor === null) return keys
    startingAfter = page.nextCursor
  }
}

/** One key, one block of `label: value` lines (names may hold anything; a table would not stay aligned). */
function describe (key: ApiKey): string {
  const creditors = key.creditorIds.map((id, i) => `${key.creditors[i] ?? ''} (${id})`)
  return [
    `${key.id}  ${key.revokedAt !== null ? 'REVOKED' : key.expiresAt !== null && Date.parse(key.expiresAt) <= Date.now() ? 'EXPIRED' : 'live'}`,
    `  name:        ${key.name}`,
    `  prefix:      ${key.prefix}…`,
    `  scopes:      ${key.scopes.join(', ')}`,
    ...(creditors.length > 0 ? [`  creditors:   ${creditors.join('; ')}`] : []),
    `  created:     ${key.createdAt}`,
    `  expires:     ${key.expiresAt ?? 'never'}`,
    `  allowed IPs: ${key.allowedIps.length === 0 ? 'any' : key.allowedIps.join(', ')}`,
    `  last used:   ${key.lastUsedAt ?? 'never'}`,
    `  revoked:     ${key.revokedAt ?? 'no'}`
  ].join('\n')
}

async function run (db: Database, chosen: Command): Promise<void> {
  if (chosen.kind === 'create') {
    const created = await createApiKey(db, null, chosen.input)
    process.stdout.write(`Created API key ${created.id} (${created.scopes.join(', ')}) named "${created.name}"` +
      `${created.expiresAt === null ? '' : `, expiring ${created.expiresAt}`}` +
      `${created.allowedIps.length === 0 ? '' : `, usable from ${created.allowedIps.join(', ')}`}.\n` +
      'Store it now, it is not shown again:\n\n' + `${created.key}\n`)
  } else if (chosen.kind === 'list') {
    const keys = await allKeys(db)
    process.stdout.write(keys.length === 0 ? 'No API keys.\n' : `${keys.map(describe).join('\n\n')}\n`)
  } else {
    const revoked = await revokeApiKey(db, ACTOR, chosen.id)
    process.stdout.write(`Revoked API key ${revoked.id} named "${revoked.name}" at ${revoked.revokedAt ?? ''}.\n`)
  }
}

const chosen = command()
try {
  const placeholder = Buffer.alloc(32).toString('base64') // no PII is touched here
  const config = loadToolConfig({ PII_ENCRYPTION_KEY: placeholder, PII_INDEX_KEY: placeholder, ...process.env })
  const warn = (m: string): void => { process.stderr.write(`warning: ${m}\n`) }
  const database = await resolveDatabase(config, { info: () => {}, warn })
  const handle = createDatabase(database.url, { max: 1 })
  try {
    await run(handle.db, chosen)
  } finally {
    await handle.close()
    await database.embedded?.stop()
  }
} catch (error) {
  // a refusal of the service (an unknown key id, a creditor no one knows): its words; anything else, its message
  const what = error instanceof ConfigError
    ? 'Configuration error'
    : error instanceof DomainError ? 'Refused' : `Could not ${chosen.kind} the key${chosen.kind === 'list' ? 's' : ''}`
  process.stderr.write(`${what}: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 1
}
