// The bank plugin: decorates `bank`, the acquirer spoken to over HTTP in both modes (live at BANK_BASE_URL, or the
// sandbox bank that app.ts mounts under /sandbox/bank in sandbox mode only). Registered before the rate limiter: the
// bank's own traffic is not a client's.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { createAcquirer } from './acquirer.js'
import type { BankProvider } from './provider.js'
import type { AppConfig } from '../config.js'

declare module 'fastify' {
  interface FastifyInstance {
    bank: BankProvider
  }
}

export default fp(async function bankPlugin (app: FastifyInstance, { config }: { config: AppConfig }) {
  app.decorate('bank', createAcquirer({
    baseUrl: config.bank.baseUrl,
    merchantId: config.bank.merchantId,
    secretKey: config.bank.secretKey,
    timeoutMs: config.bank.timeoutMs,
    observe: app.metrics.bankCall
  }))
}, { name: 'bank', dependencies: ['metrics'] })
