// What every module reads from the app besides the database: the configuration and the PII cipher, each its own
// plugin with its own decoration, registered by the composition root (app.ts); and where an event's names are read.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { AppConfig } from './config.js'
import { createPiiCipher, type PiiCipher } from './lib/crypto.js'
import type { EventNames } from './modules/events/service.js'
import { payerNameOf } from './modules/payments/service.js'
import { debtorNameOf } from './modules/debts/service.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: AppConfig
    pii: PiiCipher
    eventNames: EventNames
  }
}

export const configPlugin = fp(async function configPlugin (app: FastifyInstance, { config }: { config: AppConfig }) {
  app.decorate('config', config)
}, { name: 'config' })

export const piiPlugin = fp(async function piiPlugin (app: FastifyInstance, { config }: { config: AppConfig }) {
  app.decorate('pii', createPiiCipher(config.piiKeys))
}, { name: 'pii' })

/**
 * The events module shows a payer's or a debtor's initials read when an event is shown or delivered; the names belong
 * to payments and debts, which sit above events, so they are handed in here (docs/architecture.md, layers).
 */
export const eventNamesPlugin = fp(async function eventNamesPlugin (app: FastifyInstance) {
  app.decorate('eventNames', { payerNameOf, debtorNameOf } satisfies EventNames)
}, { name: 'event-names' })
