/**
 * The sandbox bank (BANK_MODE=sandbox, DESIGN section 5): the acquirer's
 * merchant API and hosted payment page, speaking the real protocol over real
 * HTTP, with its ledger in Postgres. An ordinary encapsulated plugin:
 * register it with `{ prefix: '/sandbox/bank' }`.
 */
import formbody from '@fastify/formbody'
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import { DEFAULT_CALLBACK_TIMEOUT_MS, DEFAULT_RETRY_DELAYS_MS } from './callbacks.js'
import { showPaymentPage, submitPaymentForm, type CheckoutSide, type PageResult } from './checkout.js'
import { contentSecurityPolicy } from './page.js'
import { getStatusScript, initPaymentScript, revokeScript } from './scripts.js'
import type { SandboxDb } from './types.js'

export interface SandboxBankOptions {
  /** The app's database; the sandbox keeps to its own tables (migrations/0003_sandbox_bank.ts). */
  db: Kysely<any>
  merchantId: string
  secretKey: string
  /** Shown on the payment page. */
  merchantName: string
  /** Waits before each retry of an undelivered result callback. */
  callbackRetryDelaysMs?: number[]
  callbackTimeoutMs?: number
  log?: FastifyBaseLogger
}

// the sandbox is not part of our API: it stays out of the OpenAPI document
const HIDDEN = { schema: { hide: true } }

interface PaymentRoute { Params: { paymentId: string } }

function answerXml (reply: FastifyReply, xml: string): FastifyReply {
  return reply.header('cache-control', 'no-store').type('text/xml; charset=utf-8').send(xml)
}

function answerPage (reply: FastifyReply, result: PageResult): FastifyReply {
  void reply.header('cache-control', 'no-store')
  if (result.kind === 'redirect') return reply.redirect(result.location, 303)
  return reply.code(result.statusCode)
    .header('content-security-policy', contentSecurityPolicy(result.formActionOrigins))
    .type('text/html; charset=utf-8')
    .send(result.html)
}

export async function sandboxBank (app: FastifyInstance, options: SandboxBankOptions): Promise<void> {
  // the bank's API and the page's form are both x-www-form-urlencoded
  if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) await app.register(formbody)

  const side: CheckoutSide = {
    db: options.db as SandboxDb,
    merchantId: options.merchantId,
    secretKey: options.secretKey,
    merchantName: options.merchantName,
    retryDelaysMs: options.callbackRetryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS,
    callbackTimeoutMs: options.callbackTimeoutMs ?? DEFAULT_CALLBACK_TIMEOUT_MS,
    log: options.log ?? app.log
  }
  const pagePath = (paymentId: string): string => `${app.prefix}/pay/${encodeURIComponent(paymentId)}`
  // absolute, as the bank's pg_redirect_url is: the origin this request reached us at
  const pageBase = (request: FastifyRequest): string => `${request.protocol}://${request.host}${app.prefix}/pay`

  app.post('/init_payment.php', HIDDEN, async (request, reply) => answerXml(reply, await initPaymentScript(side, request.body, pageBase(request))))
  app.post('/get_status3.php', HIDDEN, async (request, reply) => answerXml(reply, await getStatusScript(side, request.body)))
  app.post('/revoke.php', HIDDEN, async (request, reply) => answerXml(reply, await revokeScript(side, request.body)))

  app.get<PaymentRoute>('/pay/:paymentId', HIDDEN, async (request, reply) => {
    const { paymentId } = request.params
    return answerPage(reply, await showPaymentPage(side, paymentId, pagePath(paymentId)))
  })
  app.post<PaymentRoute>('/pay/:paymentId', HIDDEN, async (request, reply) => {
    const { paymentId } = request.params
    return answerPage(reply, await submitPaymentForm(side, paymentId, request.body, pagePath(paymentId)))
  })
}

export default sandboxBank
