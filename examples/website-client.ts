/**
 * The agency website's flow against the API, typed only by what openapi-typescript generates from
 * openapi/openapi.json (`npm run client:check` generates examples/generated/api.d.ts and typechecks this file):
 * read the offer, find the debt, accept the offer, start a payment, then read the payment and its receipt.
 *
 * Every answer is a union over the statuses the document lists, so `if (answer.status === 201)` narrows the body,
 * and each problem's `code` is the enum of that operation and status: the switches below are exhaustive, and a code
 * added to or removed from an operation in the document breaks this file's typecheck.
 */
import type { components, paths } from './generated/api.js'

type Method = 'get' | 'post'
type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>
type ResponsesOf<O> = O extends { responses: infer R } ? R : never
type BodyOf<R> = R extends { content: { 'application/json': infer B } }
  ? B
  : R extends { content: { 'application/problem+json': infer B } } ? B : undefined
/** `{status, body}` for each status the document lists for the operation. */
export type Answer<O> = {
  [S in keyof ResponsesOf<O> & number]: { status: S, body: BodyOf<ResponsesOf<O>[S]> }
}[keyof ResponsesOf<O> & number]
type JsonBodyOf<O> = O extends { requestBody: { content: { 'application/json': infer B } } } ? B : never
type ParametersOf<O> = O extends { parameters: infer Q } ? Q : never

export type Offer = components['schemas']['Offer']
export type CreatedPayment = components['schemas']['CreatedPayment']
export type Payment = components['schemas']['Payment']
export type Receipt = components['schemas']['Receipt']
export type Problem = components['schemas']['Problem']

/** A refusal the website shows the payer as it is (`detail`), keyed by its code. */
export class ProblemAnswer extends Error {
  constructor (readonly status: number, readonly problem: Problem) {
    super(`${status} ${problem.code}: ${problem.detail}`)
  }
}

/**
 * `{status, body}` of an answer, typed as the document's union over its statuses. No cast: `JSON.parse` is untyped,
 * and the operation's generated type says what each status carries.
 */
async function answerOf<O> (response: Response): Promise<Answer<O>> {
  const text = await response.text()
  const body: unknown = text === '' ? undefined : JSON.parse(text)
  // what the document says this status carries: the generated union, read from the status
  const answer: any = { status: response.status, body }
  return answer
}

export function websiteClient (baseUrl: string, fetchImpl: typeof fetch = fetch) {
  async function call<P extends keyof paths, M extends Method> (
    method: M,
    path: P,
    options: {
      pathParams?: Record<string, string>
      query?: Record<string, string>
      headers?: Record<string, string>
      body?: JsonBodyOf<Operation<P, M>>
    } = {}
  ): Promise<Answer<Operation<P, M>>> {
    const filled = String(path).replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(options.pathParams?.[name] ?? ''))
    const url = new URL(filled, baseUrl)
    for (const [name, value] of Object.entries(options.query ?? {})) url.searchParams.set(name, value)
    const response = await fetchImpl(url, {
      method: method.toUpperCase(),
      headers: { ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {})
    })
    return await answerOf<Operation<P, M>>(response)
  }

  return {
    async currentOffer (lang: NonNullable<ParametersOf<Operation<'/v1/offer', 'get'>>['query']>['lang'] = 'ru'): Promise<Offer> {
      const answer = await call('get', '/v1/offer', { query: { lang } })
      if (answer.status === 200) return answer.body
      throw new ProblemAnswer(answer.status, answer.body)
    },

    /** The debt to pay, or null when nothing matches (the same answer for a wrong IIN, on purpose). */
    async lookupDebt (contractNumber: string, iin: string) {
      const answer = await call('post', '/v1/debts/lookup', { body: { contractNumber, iin } })
      if (answer.status === 200) return answer.body
      if (answer.status === 404) return null
      if (answer.status === 422) {
        const code: 'invalid_iin' = answer.body.code
        throw new ProblemAnswer(answer.status, { ...answer.body, code })
      }
      throw new ProblemAnswer(answer.status, answer.body)
    },

    /** Accepts the offer shown; a newer version published meanwhile is read again and shown to the payer. */
    async acceptOffer (offer: Offer, debtId: string, payer: { fullName: string, email: string, phone: string }) {
      const answer = await call('post', '/v1/offer-acceptances', {
        headers: { 'idempotency-key': crypto.randomUUID() },
        body: {
          offerVersion: offer.version,
          offerSha256: offer.sha256,
          offerLanguage: offer.language,
          debtId,
          payer,
          personalDataConsent: true
        }
      })
      if (answer.status === 201) return answer.body
      if (answer.status === 409 && answer.body.code === 'offer_outdated') {
        // the fields this code adds are typed: the version to show instead
        const current: number | null | undefined = answer.body.currentVersion
        throw new ProblemAnswer(409, { ...answer.body, detail: `${answer.body.detail} (current version: ${String(current)})` })
      }
      throw new ProblemAnswer(answer.status, answer.body)
    },

    /** Starts the payment: send the payer to `redirectUrl`, keep `clientSecret` for the receipt. */
    async startPayment (acceptanceId: string, amount: number, returnUrl?: string): Promise<CreatedPayment> {
      const answer = await call('post', '/v1/payments', {
        headers: { 'idempotency-key': crypto.randomUUID() },
        body: { acceptanceId, amount, currency: 'KZT', ...(returnUrl !== undefined ? { returnUrl } : {}) }
      })
      switch (answer.status) {
        case 201: return answer.body
        case 422: throw new ProblemAnswer(422, {
          ...answer.body,
          detail: paymentRefusalText(answer.body.code, answer.body.detail)
        })
        case 502: {
          // the payment exists; `pending` means the bank may still charge it: never start another one blindly
          const status: 'pending' | 'failed' | undefined = answer.body.paymentStatus
          throw new ProblemAnswer(502, { ...answer.body, detail: `${answer.body.detail} (payment ${String(answer.body.paymentId)} is ${String(status)})` })
        }
        default: throw new ProblemAnswer(answer.status, answer.body)
      }
    },

    async payment (id: string): Promise<Payment> {
      const answer = await call('get', '/v1/payments/{id}', { pathParams: { id } })
      if (answer.status === 200) return answer.body
      throw new ProblemAnswer(answer.status, answer.body)
    },

    /** The receipt once paid; null while there is none yet (409 `receipt_not_available`). */
    async receipt (payment: CreatedPayment): Promise<Receipt | null> {
      const answer = await call('get', '/v1/payments/{id}/receipt', { pathParams: { id: payment.id }, headers: { 'x-client-secret': payment.clientSecret } })
      if (answer.status === 200) return answer.body
      if (answer.status === 409) {
        const code: 'receipt_not_available' = answer.body.code
        if (code === 'receipt_not_available') return null
      }
      throw new ProblemAnswer(answer.status, answer.body)
    }
  }
}

type StartPaymentRefusal = Extract<Answer<Operation<'/v1/payments', 'post'>>, { status: 422 }>['body']['code']

/** What the website says for each business rule that refuses a payment: exhaustive over the operation's 422 codes. */
export function paymentRefusalText (code: StartPaymentRefusal, detail: string): string {
  switch (code) {
    case 'acceptance_not_found':
    case 'acceptance_expired':
    case 'consent_withdrawn':
      return 'Please read and accept the offer again.'
    case 'debt_not_payable':
      return 'This debt can no longer be paid online.'
    case 'amount_below_minimum':
    case 'amount_exceeds_outstanding':
    case 'amount_differs_from_link':
      return detail
    case 'return_url_not_allowed':
    case 'idempotency_key_reused':
      return 'The website could not start the payment; please try again.'
    default: {
      const unhandled: never = code
      return unhandled
    }
  }
}

/** The whole flow up to the bank's page; the payer pays there, then `payment` and `receipt` tell the outcome. */
export async function startPayingDebt (
  baseUrl: string,
  input: {
    contractNumber: string
    iin: string
    amount: number
    payer: { fullName: string, email: string, phone: string }
  }
) {
  const api = websiteClient(baseUrl)
  const offer = await api.currentOffer('ru')
  const debt = await api.lookupDebt(input.contractNumber, input.iin)
  if (debt === null) return null
  const acceptance = await api.acceptOffer(offer, debt.debtId, input.payer)
  const payment = await api.startPayment(acceptance.id, Math.min(input.amount, debt.outstanding.amount))
  return { offer, debt, acceptance, payment, api }
}
