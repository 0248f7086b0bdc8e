/**
 * The sandbox bank (BANK_MODE=sandbox, docs/bank-protocol.md): the acquirer's
 * merchant API and hosted payment page, speaking the real protocol over real
 * HTTP, with its ledger in Postgres. An ordinary encapsulated plugin:
 * register it with `{ prefix: '/sandbox/bank' }`.
 */
import formbody from '@fastify/formbody'
import type {
  FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, preValidationAsyncHookHandler
} from 'fastify'
import { DEFAULT_CALLBACK_TIMEOUT_MS, DEFAULT_RETRY_DELAYS_MS } from './callbacks.js'
import { DEFAULT_POLL_INTERVAL_MS, startCallbackPoller } from './callback-queue.js'
import { showPaymentPage, submitPaymentForm, type CheckoutSide, type PageResult } from './checkout.js'
import { ArmedFaults, FaultSpec, HeldRequests, MAX_HOLD_MS, runScript } from './faults.js'
import { contentSecurityPolicy } from './page.js'
import { armedFaults, armFault, clearFaults } from './repository.js'
import { getStatusScript, initPaymentScript, revokeScript } from './scripts.js'
import type { SandboxDb } from './types.js'

export interface SandboxBankOptions {
  /** The app's database; the sandbox keeps to its own tables (migrations/0003_sandbox_bank.ts, 0009). */
  db: SandboxDb
  merchantId: string
  secretKey: string
  /** Shown on the payment page. */
  merchantName: string
  /**
   * The merchant's public base URL (PUBLIC_BASE_URL): init_payment.php
   * refuses a pg_check_url or pg_result_url anywhere else.
   */
  callbackBaseUrl: string
  /**
   * The only origins the payer's browser is sent back to (pg_success_url, pg_failure_url): in the app, the service's
   * own (PUBLIC_BASE_URL) and the agency's website (AGENCY_WEBSITE). Anything else is an init error, or the hosted page
   * on our address would send payers wherever a holder of the public sandbox secret likes.
   */
  returnOrigins: string[]
  /**
   * Who may arm and clear faults: a hook that throws for anyone else (the app passes its admin-key check,
   * `app.requireScopes()`). Required, so no sandbox is ever mounted with faults open to the world.
   */
  authorizeFaults: preValidationAsyncHookHandler
  /** Waits before each retry of an undelivered result callback. */
  callbackRetryDelaysMs?: number[]
  callbackTimeoutMs?: number
  /** How often due callback retries are looked for. */
  callbackPollIntervalMs?: number
  /** The longest a faulted request is held unanswered. */
  maxHoldMs?: number
  log?: FastifyBaseLogger
}

// the sandbox is not part of our API: it stays out of the OpenAPI document
const HIDDEN = { schema: { hide: true } }
// the bank's scripts and its page's form take form bodies only (http/media-types.ts)
const HIDDEN_FORM = { schema: { hide: true, consumes: ['application/x-www-form-urlencoded'] } }

interface PaymentRoute { Params: { paymentId: string } }

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
    db: options.db,
    merchantId: options.merchantId,
    secretKey: options.secretKey,
    callbackBase: new URL(options.callbackBaseUrl),
    returnOrigins: new Set(options.returnOrigins.map((origin) => new URL(origin).origin)),
    merchantName: options.merchantName,
    retryDelaysMs: options.callbackRetryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS,
    callbackTimeoutMs: options.callbackTimeoutMs ?? DEFAULT_CALLBACK_TIMEOUT_MS,
    log: options.log ?? app.log
  }
  const held = new HeldRequests(options.maxHoldMs ?? MAX_HOLD_MS)
  // polling starts with the server and stops before the database closes
  let poller: ReturnType<typeof startCallbackPoller> | null = null
  app.addHook('onReady', async () => { poller = startCallbackPoller(side, options.callbackPollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS) })
  app.addHook('preClose', async () => { held.releaseAll() })
  app.addHook('onClose', async () => { await poller?.stop() })

  const pagePath = (paymentId: string): string => `${app.prefix}/pay/${encodeURIComponent(paymentId)}`
  // absolute, as the bank's pg_redirect_url is: the origin this request reached us at
  const pageBase = (request: FastifyRequest): string => `${request.protocol}://${request.host}${app.prefix}/pay`

  app.post('/init_payment.php', HIDDEN_FORM, async (request, reply) =>
    await runScript(side, held, request, reply, 'init_payment', async () => await initPaymentScript(side, request.body, pageBase(request))))
  app.post('/get_status3.php', HIDDEN_FORM, async (request, reply) =>
    await runScript(side, held, request, reply, 'get_status3', async () => await getStatusScript(side, request.body)))
  app.post('/revoke.php', HIDDEN_FORM, async (request, reply) =>
    await runScript(side, held, request, reply, 'revoke', async () => await revokeScript(side, request.body)))

  app.get<PaymentRoute>('/pay/:paymentId', HIDDEN, async (request, reply) => {
    const { paymentId } = request.params
    return answerPage(reply, await showPaymentPage(side, paymentId, pagePath(paymentId)))
  })
  app.post<PaymentRoute>('/pay/:paymentId', HIDDEN_FORM, async (request, reply) => {
    const { paymentId } = request.params
    return answerPage(reply, await submitPaymentForm(side, paymentId, request.body, pagePath(paymentId)))
  })

  // for tests: arm the next `count` calls of a script to misbehave; clear them all. A fault breaks every payer's
  // payments, so only an admin may. Checked once the body is parsed (a wrong media type is 415 on every route, DESIGN
  // 22) and before it is validated: a stranger hears 401, never what the body should have been.
  const faultsRoute = { preValidation: options.authorizeFaults }
  app.post<{ Body: FaultSpec }>('/faults', {
    ...faultsRoute,
    schema: { hide: true, body: FaultSpec, response: { 201: ArmedFaults } }
  }, async (request, reply) => {
    const { script, mode, count } = request.body
    await armFault(side.db, { script, mode, remaining: count })
    request.log.warn({ script, mode, count }, 'sandbox bank: fault armed')
    return await reply.code(201).header('cache-control', 'no-store').send({ faults: await armedFaults(side.db) })
  })
  app.delete('/faults', { ...faultsRoute, ...HIDDEN }, async (_request, reply) => {
    await clearFaults(side.db)
    return await reply.code(204).send()
  })
}

export default sandboxBank
