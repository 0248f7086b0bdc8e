// The OpenAPI 3.1 `webhooks` section (one entry per event type, with its
// payload) and the Webhooks chapter of the document's description.
import { EVENT_TYPES, WEBHOOK_TEST_EVENT, type EventType, type StoredEventType } from './tables.js'

const ref = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` })

/** The object each type carries: a partner endpoint gets the first shape, an agency (admin) endpoint the second. */
const OBJECTS: Record<EventType, { partner: string, admin: string, about: string }> = {
  'payment.succeeded': { partner: 'PartnerPayment', admin: 'AdminPayment', about: 'The bank confirmed a payment; the debt\'s balance went down in the same transaction.' },
  'payment.failed': { partner: 'PartnerPayment', admin: 'AdminPayment', about: 'The payer declined or the bank refused; nothing was charged.' },
  'payment.expired': { partner: 'PartnerPayment', admin: 'AdminPayment', about: 'The payment was not paid within its lifetime (the bank confirmed it never was).' },
  'payment.returned': { partner: 'PartnerPayment', admin: 'AdminPayment', about: 'The agency refused a suspicious payment and the bank returned it in full (offer cl. 8).' },
  'payment.needs_review': { partner: 'PartnerPayment', admin: 'AdminPayment', about: 'The bank\'s facts do not fit (amount, bank payment id, an overpayment, a refund made at the bank): an operator looks at it.' },
  'refund.succeeded': { partner: 'PartnerRefund', admin: 'AdminRefund', about: 'A refund or return reached the card, or an operator recorded a cancellation made in Kaspi\'s cabinet (kind `external`); the debt\'s balance rose by what it had absorbed.' },
  'refund.failed': { partner: 'PartnerRefund', admin: 'AdminRefund', about: 'The bank refused the refund with a signed answer; nothing moved.' },
  'refund_request.submitted': { partner: 'PartnerRefundRequest', admin: 'RefundRequest', about: 'A payer asked for a refund in writing (offer cl. 5).' },
  'refund_request.decided': { partner: 'PartnerRefundRequest', admin: 'RefundRequest', about: 'The agency answered a refund request: approved (with its due date) or rejected.' },
  'debt.closed': { partner: 'PartnerDebt', admin: 'PartnerDebt', about: 'The debt\'s outstanding amount reached zero.' },
  'debt_import.completed': { partner: 'DebtImport', admin: 'DebtImport', about: 'A portfolio import finished (agency endpoints only: an import spans creditors).' }
}

const TEST_ABOUT = 'Sent on request (`POST …/webhook-endpoints/{id}/test`) to that one endpoint, whatever its ' +
  '`enabledEvents`, to check that it receives and verifies; it stands for no fact and is never listed among the ' +
  'events. Signed and retried as every event.'

/** `payment.succeeded` -> `PaymentSucceeded`: the part of a component's name that says the type. */
const typeName = (type: string): string =>
  type.split(/[._]/).map((word) => `${word.charAt(0).toUpperCase()}${word.slice(1)}`).join('')

/**
 * DESIGN 23: an event as `GET …/events` and `GET …/events/{id}` answer it, typed per event type for each audience:
 * `AdminEvent` and `PartnerEvent`, a `oneOf` of one schema per type (`type` a `const`, `data.object` the schema the
 * webhooks section gives it) with a discriminator on `type`. The routes serialise the generic `Event`; the document
 * says which object each type carries (http/openapi.ts puts these in place of `Event`).
 */
export function eventSchemas (): { schemas: Record<string, unknown>, admin: string, partner: string } {
  const schemas: Record<string, unknown> = {}
  for (const audience of ['admin', 'partner'] as const) {
    const prefix = audience === 'admin' ? 'Admin' : 'Partner'
    const mapping: Record<string, string> = {}
    for (const type of EVENT_TYPES) {
      const name = `${prefix}${typeName(type)}Event`
      mapping[type] = `#/components/schemas/${name}`
      schemas[name] = {
        type: 'object',
        description: `\`${type}\`: ${OBJECTS[type].about}`,
        additionalProperties: false,
        required: ['id', 'type', 'createdAt', 'data'],
        properties: {
          id: { type: 'string', pattern: '^evt_[0-9a-f]{32}$', description: 'Also the `webhook-id` of its deliveries' },
          type: { type: 'string', const: type },
          createdAt: { type: 'string', format: 'date-time', description: 'When the fact happened (its transaction)' },
          data: {
            type: 'object',
            additionalProperties: false,
            required: ['object'],
            properties: { object: { ...ref(OBJECTS[type][audience]), description: 'The object as it stood then' } }
          }
        }
      }
    }
    schemas[`${prefix}Event`] = {
      description: `An event as the ${audience === 'admin' ? 'back office' : 'partner API'} reads it: one schema per ` +
        'type, told apart by `type`',
      oneOf: Object.values(mapping).map(($ref) => ({ $ref })),
      discriminator: { propertyName: 'type', mapping }
    }
  }
  return { schemas, admin: 'AdminEvent', partner: 'PartnerEvent' }
}

export function webhooksSection (): Record<string, unknown> {
  const entries = EVENT_TYPES.map((type) => {
    const object = OBJECTS[type]
    const shapes = object.partner === object.admin
      ? ref(object.partner)
      : { oneOf: [ref(object.partner), ref(object.admin)] }
    const about = `${object.about} Sent to every enabled endpoint that wants \`${type}\`, signed per Standard Webhooks ` +
      '(see Webhooks in the description).'
    return webhookOperation(type, about, shapes)
  })
  return Object.fromEntries([...entries, webhookOperation(WEBHOOK_TEST_EVENT, TEST_ABOUT, ref('WebhookTest'))])
}

function webhookOperation (type: StoredEventType, about: string, shapes: unknown): [string, unknown] {
  return [type, {
    post: {
      operationId: `webhook_${type.replace('.', '_')}`,
      summary: type,
      description: about,
      tags: ['Partner: webhooks'],
      // we call the receiver: it authenticates us by the signature, not by a scheme of ours
      security: [],
      parameters: [
        { name: 'webhook-id', in: 'header', required: true, description: 'The event id (`evt_…`), the same on every retry: dedupe by it', schema: { type: 'string', pattern: '^evt_[0-9a-f]{32}$' } },
        { name: 'webhook-timestamp', in: 'header', required: true, description: 'Unix seconds of this attempt; reject one more than 5 minutes off', schema: { type: 'string', pattern: '^\\d+$' } },
        { name: 'webhook-signature', in: 'header', required: true, description: '`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, space-separated when a rotation lets two secrets sign', schema: { type: 'string' } }
      ],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              additionalProperties: false,
              required: ['type', 'timestamp', 'data'],
              properties: {
                type: { type: 'string', const: type },
                timestamp: { type: 'string', format: 'date-time', description: 'When the fact happened' },
                data: { type: 'object', additionalProperties: false, required: ['object'], properties: { object: shapes } }
              }
            }
          }
        }
      },
      responses: {
        200: { description: 'Any 2xx acknowledges the event. 410 disables the endpoint; 429 with Retry-After delays the retry; anything else (or no answer within WEBHOOK_TIMEOUT_MS) is retried at 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h.' }
      }
    }
  }]
}

export const WEBHOOKS_DESCRIPTION = `

## Webhooks

Partners (\`/v1/partner/webhook-endpoints\`, their creditors' events) and the agency's own systems
(\`/v1/admin/webhook-endpoints\`, every event) register endpoints; the events listed in the \`webhooks\` section are
POSTed to them as \`{type, timestamp, data: {object}}\` per [Standard Webhooks](https://www.standardwebhooks.com/),
at least once: the \`webhook-id\` header is the event id, the same on every retry, so dedupe by it. Only a 2xx
acknowledges; retries follow 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h; \`410\` disables the endpoint,
\`429\` with \`Retry-After\` is waited out, and an endpoint failing for 5 days in a row is disabled. Destinations must be
https on public addresses (checked on the resolved address at every delivery).

To check a receiver, \`POST …/webhook-endpoints/{id}/test\` sends it a \`webhook.test\` event (signed and retried like
any other; never listed among the events). An event it missed is sent again with
\`POST /v1/admin/events/{id}/redeliver\` (a new delivery, the same \`webhook-id\`).

Verify every request with the secret shown when the endpoint was created (or rotated; for 24 h after a rotation both
secrets sign, space-separated), e.g. with the reference \`standardwebhooks\` package:

\`\`\`js
import { Webhook } from 'standardwebhooks'
const wh = new Webhook(process.env.EXPLUS_WEBHOOK_SECRET) // "whsec_…"
app.post('/webhooks/explus', express.raw({ type: 'application/json' }), (req, res) => {
  let event
  try { event = wh.verify(req.body.toString('utf8'), req.headers) } // checks signature and timestamp
  catch { return res.status(400).end() }
  if (alreadySeen(req.headers['webhook-id'])) return res.status(200).end()
  handle(event.type, event.data.object) // e.g. payment.succeeded -> a PartnerPayment
  res.status(200).end()
})
\`\`\``
