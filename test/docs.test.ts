import t from 'tap'
import { readFileSync } from 'node:fs'
import { PAYMENT_STATUSES } from '../src/modules/payments/schemas.js'
import { REFUND_REQUEST_STATUSES, REFUND_STATUSES } from '../src/modules/refunds/schemas.js'
import { PRIVACY_STATUSES } from '../src/modules/privacy/schemas.js'
import { WebhookDeliverySchema } from '../src/modules/events/webhook-schemas.js'
import { ACCOUNT_KINDS, ENTRY_KINDS } from '../src/modules/ledger/schemas.js'

/**
 * docs/ is part of the repository's truth: the README links every document, and each state machine in
 * docs/states.md names exactly the statuses the code has (a status added to the code and not to its diagram, or the
 * other way round, fails here).
 */
const read = (path: string): string => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8')
const DOCS = ['docs/architecture.md', 'docs/states.md', 'docs/ledger.md', 'docs/bank-protocol.md', 'docs/operations.md', 'CHANGELOG.md']

t.test('the README links the documents', async (t) => {
  const readme = read('README.md')
  for (const doc of DOCS) {
    t.ok(read(doc).length > 500, `${doc} has content`)
    t.ok(readme.includes(`(${doc})`), `README links ${doc}`)
  }
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
  for (const kind of [...ENTRY_KINDS, ...ACCOUNT_KINDS]) t.ok(ledger.includes(`\`${kind}`), `docs/ledger.md names ${kind}`)
})
