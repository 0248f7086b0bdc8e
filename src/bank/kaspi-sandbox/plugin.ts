/**
 * The Kaspi sandbox (KASPI_MODE=sandbox, docs/kaspi.md): plays the Kaspi app against our channel over real HTTP, and
 * writes the day's registry as Kaspi would. Out of the OpenAPI document, like the sandbox bank; on the same request
 * edge as every route (media types, body limits, time limits). Register it with `{ prefix: '/sandbox/kaspi' }`.
 *
 * - `POST /payments {account, amount, skipPay?}` (amount in tiyn) -> 201 `{txnId, check, pay, repeat}`, each the
 *   protocol's answer as received (`pay` and `repeat` null when the check refused, or with `skipPay`); 502
 *   `kaspi_channel_unavailable` when the channel gave no protocol answer (an address outside KASPI_ALLOWED_IPS, a
 *   PUBLIC_BASE_URL that is not this service).
 * - `GET /registry?date=YYYY-MM-DD` -> that Almaty day's registry, `text/csv`.
 */
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { DomainError } from '../../lib/errors.js'
import { kaspiDay } from '../../lib/kaspi-time.js'
import type { Database } from '../../db/database.js'
import { playPayment } from './app.js'
import { registryCsv } from './registry.js'
import { kaspiTransactionsBetween } from './repository.js'

export interface KaspiSandboxOptions {
  /** The app's database; the sandbox keeps to its own table (migrations/0032_sandbox_kaspi.ts). */
  db: Database
  /** Our channel as Kaspi calls it: `PUBLIC_BASE_URL/v1/channels/kaspi`. */
  channelUrl: string
  log?: FastifyBaseLogger
}

const PaymentBody = Type.Object({
  // what a payer types in the app: digits (the payment code, or a wrong one)
  account: Type.String({ pattern: '^[0-9]{1,20}$' }),
  amount: Type.Integer({ minimum: 1, maximum: 1_000_000_000_000_000, description: 'tiyn' }),
  skipPay: Type.Optional(Type.Boolean({ description: 'fault: the pay never reaches us, the registry lists it' }))
}, { additionalProperties: false })

const RegistryQuery = Type.Object({
  date: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' })
}, { additionalProperties: false })

export async function kaspiSandbox (app: FastifyInstance, options: KaspiSandboxOptions): Promise<void> {
  const side = { db: options.db, channelUrl: options.channelUrl, log: options.log ?? app.log }

  app.post<{ Body: Static<typeof PaymentBody> }>('/payments', {
    schema: { hide: true, body: PaymentBody }
  }, async (request, reply) => {
    const { account, amount, skipPay } = request.body
    const played = await playPayment(side, { account, amount: BigInt(amount), skipPay: skipPay ?? false })
    return await reply.code(201).header('cache-control', 'no-store').send(played)
  })

  app.get<{ Querystring: Static<typeof RegistryQuery> }>('/registry', {
    schema: { hide: true, querystring: RegistryQuery }
  }, async (request, reply) => {
    const day = kaspiDay(request.query.date)
    if (day === null) throw new DomainError('invalid_date', 'The date must be a real calendar day, YYYY-MM-DD')
    const rows = await kaspiTransactionsBetween(options.db, day.from, day.to)
    return await reply.header('cache-control', 'no-store').type('text/csv; charset=utf-8').send(registryCsv(rows))
  })
}

export default kaspiSandbox
