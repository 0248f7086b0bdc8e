import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import formbody from '@fastify/formbody'
import { pino } from 'pino'
import { createDatabase, type Database } from '../../src/db/database.js'
import { sandboxBank } from '../../src/bank/sandbox/plugin.js'
import { callbackReply, verifyCallback, type CallbackReplyStatus } from '../../src/bank/callbacks.js'
import { createAcquirer } from '../../src/bank/acquirer.js'
import type { BankProvider, InitPaymentRequest } from '../../src/bank/provider.js'
import { registerErrorHandling, Unauthenticated } from '../../src/http/errors.js'
import { buildValidator } from '../../src/http/validation.js'
import { createTestDatabase } from '../helpers/app.js'

/**
 * The two sides of the protocol for bank tests: the sandbox bank in a bare
 * Fastify over real HTTP with its own database, a merchant that answers its
 * callbacks the way a test asks, and fake banks for answers no honest bank gives.
 */
export const MERCHANT_ID = '552170'
export const SECRET = 'sandbox-secret-key'
/** The agency's website in these tests: where the payer may be sent back, beside the merchant's own origin. */
export const AGENCY_WEBSITE = 'https://agency.example.kz'
/**
 * The bare sandbox's stand-in for the app's admin key (the app passes `app.requireScopes()`, tested through
 * buildApp in test/bank/sandbox-guard.test.ts): this header arms and clears faults, nothing else does.
 */
const FIXTURE_ADMIN = 'Bearer sandbox-fixture-admin-key'

interface Teardown { teardown: (fn: () => unknown) => void }

function urlOf (address: AddressInfo | string | null): string {
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP')
  return `http://127.0.0.1:${address.port}`
}

/** A sandbox bank's address and a key that may arm its faults. */
export interface FaultControl {
  /** …/sandbox/bank */
  bankUrl: string
  /** `Bearer <an admin key>` */
  adminAuthorization: string
}

export interface Sandbox extends FaultControl {
  db: Database
  databaseUrl: string
  acquirer: BankProvider
  /** Every line the sandbox and its requests logged, as JSON text. */
  logLines: string[]
  /** Stops this sandbox (as a crash would, between two attempts); the database stays. */
  close: () => Promise<void>
}

export interface SandboxOptions {
  /** Where the sandbox may call back: this merchant's origin, or callbackBaseUrl. */
  merchant?: { url: string }
  callbackBaseUrl?: string
  /** Where the payer may be sent back: the agency's website and the merchant's (callback) origin, unless given. */
  returnOrigins?: string[]
  retryDelaysMs?: number[]
  callbackTimeoutMs?: number
  pollIntervalMs?: number
  maxHoldMs?: number
  /** Another sandbox's database: a new instance over the same ledger. */
  databaseUrl?: string
  /** The acquirer's timeout. */
  bankTimeoutMs?: number
}

export async function startSandbox (t: Teardown, options: SandboxOptions = {}): Promise<Sandbox> {
  const databaseUrl = options.databaseUrl ?? await createTestDatabase(t)
  const handle = createDatabase(databaseUrl, { max: 4 })
  const logLines: string[] = []
  // as in the app: strict validation, problem+json errors
  const app = Fastify({
    loggerInstance: pino({ level: 'trace' }, { write: (line: string) => { logLines.push(line) } }),
    schemaController: { compilersFactory: { buildValidator: buildValidator as never } }
  })
  registerErrorHandling(app as unknown as FastifyInstance)
  const callbackBaseUrl = options.callbackBaseUrl ?? options.merchant?.url ?? 'http://127.0.0.1:9'
  await app.register(sandboxBank, {
    prefix: '/sandbox/bank',
    db: handle.db,
    merchantId: MERCHANT_ID,
    secretKey: SECRET,
    merchantName: 'ТОО «Эксперт Плюс» <тест>',
    callbackBaseUrl,
    returnOrigins: options.returnOrigins ?? [AGENCY_WEBSITE, callbackBaseUrl],
    authorizeFaults: async (request) => {
      if (request.headers.authorization !== FIXTURE_ADMIN) throw new Unauthenticated()
    },
    callbackRetryDelaysMs: options.retryDelaysMs ?? [20, 50],
    callbackTimeoutMs: options.callbackTimeoutMs ?? 2000,
    callbackPollIntervalMs: options.pollIntervalMs ?? 20,
    ...(options.maxHoldMs === undefined ? {} : { maxHoldMs: options.maxHoldMs })
  })
  const bankUrl = `${await app.listen({ port: 0, host: '127.0.0.1' })}/sandbox/bank`
  let closed: Promise<void> | null = null
  const close = async (): Promise<void> => {
    closed ??= (async () => {
      await app.close()
      await handle.close()
    })()
    await closed
  }
  t.teardown(close)
  const acquirer = createAcquirer({
    baseUrl: bankUrl,
    merchantId: MERCHANT_ID,
    secretKey: SECRET,
    timeoutMs: options.bankTimeoutMs ?? 5000
  })
  return { db: handle.db, databaseUrl, bankUrl, adminAuthorization: FIXTURE_ADMIN, acquirer, logLines, close }
}

export interface FaultArming { script: string, mode: string, count: number }

/**
 * Arms a fault at the sandbox over HTTP with an admin key, as a test of any client would; throws unless it is
 * armed, so a test never goes on believing in a fault that is not there.
 */
export async function armFault (bank: FaultControl, fault: FaultArming): Promise<Response> {
  const response = await fetch(`${bank.bankUrl}/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: bank.adminAuthorization },
    body: JSON.stringify(fault)
  })
  if (response.status !== 201) throw new Error(`fault not armed: ${response.status} ${await response.text()}`)
  return response
}

/** Clears every armed fault, with an admin key; throws unless they are cleared. */
export async function clearFaults (bank: FaultControl): Promise<void> {
  const headers = { authorization: bank.adminAuthorization }
  const response = await fetch(`${bank.bankUrl}/faults`, { method: 'DELETE', headers })
  if (response.status !== 204) throw new Error(`faults not cleared: ${response.status} ${await response.text()}`)
}

export interface ReceivedCallback {
  params: Record<string, string>
  /** verifyCallback with the last segment of the URL called. */
  verified: boolean
}

export interface MerchantBehaviour {
  checkStatus?: CallbackReplyStatus
  checkDescription?: string
  /** Milliseconds the check handler thinks before answering. */
  checkDelayMs?: number
  /** HTTP statuses answered to successive result callbacks; 200 once they run out. */
  resultHttpStatuses?: number[]
}

export interface Merchant {
  url: string
  checks: ReceivedCallback[]
  results: ReceivedCallback[]
  behaviour: MerchantBehaviour
}

/** The merchant's side: /cb/check and /cb/result, verifying and signing like our handlers must. */
export async function startMerchant (t: Teardown, behaviour: MerchantBehaviour = {}): Promise<Merchant> {
  const app = Fastify()
  await app.register(formbody)
  const merchant: Merchant = { url: '', checks: [], results: [], behaviour }
  app.post('/cb/check', async (request, reply) => {
    const params = request.body as Record<string, string>
    merchant.checks.push({ params, verified: verifyCallback('check', params, SECRET) })
    if (merchant.behaviour.checkDelayMs !== undefined) {
      await new Promise((resolve) => setTimeout(resolve, merchant.behaviour.checkDelayMs))
    }
    return await reply.type('text/xml').send(callbackReply('check', merchant.behaviour.checkStatus ?? 'ok', merchant.behaviour.checkDescription ?? '', SECRET))
  })
  app.post('/cb/result', async (request, reply) => {
    const params = request.body as Record<string, string>
    merchant.results.push({ params, verified: verifyCallback('result', params, SECRET) })
    const status = merchant.behaviour.resultHttpStatuses?.shift() ?? 200
    if (status !== 200) return await reply.code(status).send('not now')
    return await reply.type('text/xml').send(callbackReply('result', 'ok', '', SECRET))
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  merchant.url = urlOf(app.server.address())
  t.teardown(async () => { await app.close() })
  return merchant
}

export function paymentRequest (
  merchant: { url: string }, overrides: Partial<InitPaymentRequest> = {}
): InitPaymentRequest {
  return {
    orderId: `pay_${Math.random().toString(16).slice(2).padEnd(32, '0').slice(0, 32)}`,
    amount: 150000n,
    currency: 'KZT',
    description: 'Погашение задолженности по договору № КД-2024/17',
    lifetimeSeconds: 1800,
    checkUrl: `${merchant.url}/cb/check`,
    resultUrl: `${merchant.url}/cb/result`,
    successUrl: 'https://agency.example.kz/pay/success',
    failureUrl: 'https://agency.example.kz/pay/failure',
    userPhone: '+77011234567',
    userEmail: 'payer@example.kz',
    userIp: '192.0.2.10',
    ...overrides
  }
}

/** Posts the hosted page's form as a browser would, without following the redirect. */
export async function submitForm (pageUrl: string, form: Record<string, string>): Promise<Response> {
  return await fetch(pageUrl, { method: 'POST', body: new URLSearchParams(form), redirect: 'manual' })
}

export const PAY_WITH = (cardNumber: string): Record<string, string> => ({
  action: 'pay', card_number: cardNumber, card_expiry: '12/39', card_holder: 'IVAN IVANOV', card_cvv: '123'
})

export type FakeAnswer = { status?: number, body: string } | 'hang'

/** A bank that answers whatever the test says; 'hang' never answers at all. */
export async function startFakeBank (
  t: Teardown, answer: (script: string, params: URLSearchParams) => FakeAnswer
): Promise<{ url: string, requests: Array<{ script: string, params: URLSearchParams }> }> {
  const requests: Array<{ script: string, params: URLSearchParams }> = []
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let body = ''
    request.on('data', (chunk: Buffer) => { body += chunk.toString() })
    request.on('end', () => {
      const script = (request.url ?? '').split('/').at(-1) ?? ''
      const params = new URLSearchParams(body)
      requests.push({ script, params })
      const reply = answer(script, params)
      if (reply === 'hang') return
      response.writeHead(reply.status ?? 200, { 'content-type': 'text/xml; charset=utf-8' })
      response.end(reply.body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return { url: urlOf(server.address()), requests }
}

/** A port nothing listens on. */
export async function closedPortUrl (): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = urlOf(server.address())
  await new Promise((resolve) => server.close(resolve))
  return url
}
