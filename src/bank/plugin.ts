import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { createAcquirer } from './acquirer.js'
import type { BankProvider } from './provider.js'
import { sandboxBank } from './sandbox/plugin.js'
import type { AppConfig } from '../app.js'

declare module 'fastify' {
  interface FastifyInstance {
    bank: BankProvider
  }
}

/**
 * The acquirer, spoken to over HTTP in both modes: live at BANK_BASE_URL, or
 * the sandbox bank this process mounts under /sandbox/bank (BANK_MODE=sandbox).
 * Registered before the rate limiter: the bank's own traffic is not a client's.
 */
export default fp(async function bankPlugin (app: FastifyInstance, { config }: { config: AppConfig }) {
  app.decorate('bank', createAcquirer({
    baseUrl: config.bank.baseUrl,
    merchantId: config.bank.merchantId,
    secretKey: config.bank.secretKey,
    timeoutMs: config.bank.timeoutMs,
    observe: app.metrics.bankCall
  }))
  if (config.bank.mode === 'sandbox' && config.role !== 'worker') {
    await app.register(sandboxBank, {
      prefix: '/sandbox/bank',
      db: app.db,
      merchantId: config.bank.merchantId,
      secretKey: config.bank.secretKey,
      merchantName: config.agency.name,
      // the sandbox calls back only under our own public address (DESIGN section 11)
      callbackBaseUrl: config.publicBaseUrl
    })
  }
}, { name: 'bank', dependencies: ['database', 'metrics'] })
