import t from 'tap'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, normalize } from 'node:path'
import { PAYMENT_STATUSES } from '../src/modules/payments/schemas.js'
import { REFUND_REQUEST_STATUSES, REFUND_STATUSES } from '../src/modules/refunds/schemas.js'
import { PRIVACY_STATUSES } from '../src/modules/privacy/schemas.js'
import { WebhookDeliverySchema } from '../src/modules/events/webhook-schemas.js'
import { ACCOUNT_KINDS, ENTRY_KINDS } from '../src/modules/ledger/schemas.js'
import { ENV_DEFAULT_NOTES, ENV_DEFAULTS, EnvSchema } from '../src/config-schema.js'
import { CONFIGURATION_DOC, configurationDocument } from '../src/config-docs.js'

/**
 * docs/ is part of the repository's truth: the README is the entry and links every document, every relative link
 * resolves, docs/configuration.md is what the config schema generates, and each state machine in docs/states.md
 * names exactly the statuses the code has (a status added to the code and not to its diagram, or the other way
 * round, fails here).
 */
const read = (path: string): string => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8')
const DOCS = [
  'docs/api.md', 'docs/configuration.md', 'docs/architecture.md', 'docs/states.md', 'docs/ledger.md',
  'docs/bank-protocol.md', 'docs/operations.md', 'docs/performance.md', 'docs/development.md', 'CHANGELOG.md'
]
const README_MAX_LINES = 220

t.test('the README is the entry: short, and it links every document', async (t) => {
  const readme = read('README.md')
  const lines = readme.split('\n').length
  t.ok(lines <= README_MAX_LINES, `README.md has ${lines} lines, at most ${README_MAX_LINES}`)
  t.match(readme, /```sh\nnpm ci && npm start\n```/, 'the quick start')
  t.match(readme, /```sh\nnpm test\n```/, 'the test command')
  t.match(readme, /npm run test:slow/, 'and the slow lane')
  for (const doc of DOCS) {
    t.ok(read(doc).length > 500, `${doc} has content`)
    t.ok(readme.includes(`(${doc})`), `README links ${doc}`)
  }
  const documents = readdirSync(new URL('../docs/', import.meta.url)).filter((f) => f.endsWith('.md'))
  for (const doc of documents) t.ok(readme.includes(`(docs/${doc}`), `README links docs/${doc}, a document in docs/`)
})

t.test('docs/configuration.md is what the config schema generates', async (t) => {
  t.equal(read(CONFIGURATION_DOC), configurationDocument(), 'fresh: run `npm run docs:config` when this fails')
})

t.test('every variable of the config schema has a meaning and one default, and is documented', async (t) => {
  const doc = read(CONFIGURATION_DOC)
  const example = read('.env.example')
  for (const [name, schema] of Object.entries(EnvSchema.properties)) {
    t.ok((schema as { description?: string }).description, `${name} has a description`)
    t.ok((name in ENV_DEFAULTS) !== (name in ENV_DEFAULT_NOTES), `${name} has a fixed default or a note, not both`)
    t.ok(doc.includes(`| \`${name}\` |`), `docs/configuration.md has a row for ${name}`)
    t.match(example, new RegExp(`^#? ?${name}=`, 'm'), `.env.example lists ${name}`)
  }
  const names = new Set(Object.keys(EnvSchema.properties))
  for (const name of [...Object.keys(ENV_DEFAULTS), ...Object.keys(ENV_DEFAULT_NOTES)]) {
    t.ok(names.has(name), `the default of ${name} belongs to a variable of the schema`)
  }
})

t.test('a commented-out line of .env.example shows the loader\'s default', async (t) => {
  const example = read('.env.example')
  for (const [name, fixed] of Object.entries(ENV_DEFAULTS)) {
    const shown = new RegExp(`^# ?${name}=(.+)$`, 'm').exec(example)?.[1]
    if (shown === undefined) continue // a placeholder to fill in, or a value set for docker-compose
    t.equal(shown.replace(/^'(.*)'$/, '$1'), String(fixed), `.env.example shows ${name}'s default`)
  }
})

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug (heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-')
}

/** The anchors a Markdown file offers: its headings' (a repeated one gets -1, -2, …). */
function anchorsOf (markdown: string): Set<string> {
  const anchors = new Set<string>()
  const seen = new Map<string, number>()
  for (const m of withoutCode(markdown).matchAll(/^#{1,6} (.+)$/gm)) {
    const base = slug(m[1] as string)
    const count = seen.get(base) ?? 0
    seen.set(base, count + 1)
    anchors.add(count === 0 ? base : `${base}-${count}`)
  }
  return anchors
}

/** Markdown without fenced blocks and code spans, where brackets are not links. */
function withoutCode (markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '')
}

t.test('every relative link in the README, the CHANGELOG and docs/ resolves, anchors included', async (t) => {
  const files = ['README.md', 'CHANGELOG.md', ...readdirSync(new URL('../docs/', import.meta.url))
    .filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)]
  let links = 0
  for (const file of files) {
    const markdown = read(file)
    for (const m of withoutCode(markdown).matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1] as string
      if (/^[a-z]+:/i.test(target)) continue // https:, mailto:
      links++
      const [path = '', anchor] = target.split('#')
      const resolved = path === '' ? file : normalize(join(dirname(file), path))
      if (!existsSync(new URL(`../${resolved}`, import.meta.url))) {
        t.fail(`${file}: ${target} names no file`)
        continue
      }
      if (anchor !== undefined && resolved.endsWith('.md')) {
        t.ok(anchorsOf(read(resolved)).has(anchor), `${file}: ${target} names a heading of ${resolved}`)
      }
    }
  }
  t.ok(links > 30, `${links} relative links checked`)
})

/** The states of the Mermaid diagram under a `## title` heading. */
function statesOf (markdown: string, title: string): Set<string> {
  const section = markdown.split(/^## /m).find((s) => s.startsWith(`${title}\n`)) ?? ''
  const diagram = /```mermaid\n([\s\S]*?)```/.exec(section)?.[1] ?? ''
  const states = new Set<string>()
  for (const m of diagram.matchAll(/^\s*(\[\*\]|\w+) --> (\[\*\]|\w+)/gm)) {
    for (const state of [m[1], m[2]] as string[]) if (state !== '[*]') states.add(state)
  }
  return states
}

t.test('each state machine has exactly the statuses of the code', async (t) => {
  const states = read('docs/states.md')
  const deliveryStatuses = (WebhookDeliverySchema.properties.status as unknown as { enum: string[] }).enum
  const machines: Array<[string, readonly string[]]> = [
    ['Payment', PAYMENT_STATUSES],
    ['Refund', REFUND_STATUSES],
    ['Refund request', REFUND_REQUEST_STATUSES],
    ['Privacy request', PRIVACY_STATUSES],
    ['Webhook delivery', deliveryStatuses]
  ]
  for (const [title, statuses] of machines) {
    t.same([...statesOf(states, title)].sort(), [...statuses].sort(), `${title}: the diagram's states are the code's`)
  }
})

t.test('the ledger document names every entry kind and account kind', async (t) => {
  const ledger = read('docs/ledger.md')
  for (const kind of [...ENTRY_KINDS, ...ACCOUNT_KINDS]) {
    t.ok(ledger.includes(`\`${kind}`), `docs/ledger.md names ${kind}`)
  }
})
