// What every module reads from the app besides the database: the configuration and the PII cipher, each its own
// plugin with its own decoration, registered by the composition root (app.ts).
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { AppConfig } from './config.js'
import { createPiiCipher, type PiiCipher } from './lib/crypto.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: AppConfig
    pii: PiiCipher
  }
}

export const configPlugin = fp(async function configPlugin (app: FastifyInstance, { config }: { config: AppConfig }) {
  app.decorate('config', config)
}, { name: 'config' })

export const piiPlugin = fp(async function piiPlugin (app: FastifyInstance, { config }: { config: AppConfig }) {
  app.decorate('pii', createPiiCipher(config.piiKeys))
}, { name: 'pii' })
