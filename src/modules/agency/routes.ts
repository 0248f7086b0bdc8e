import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { problemResponses } from '../../http/schemas.js'
import { AgencySchema } from './schemas.js'

const agencyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addSchema(AgencySchema)
  app.get('/agency', {
    // the requisites change with a deployment's configuration only
    config: { cacheControl: 'public, max-age=300' },
    schema: {
      operationId: 'getAgency',
      tags: ['Agency'],
      summary: 'The agency\'s requisites and support contacts',
      description: 'Legal name, BIN, settlement account and bank, address and support contacts (offer cl. 10, 25). Configured per deployment (AGENCY_* variables).',
      security: [],
      response: { 200: Type.Ref(AgencySchema), ...problemResponses({ 429: ['rate_limited'] }) }
    }
  }, async () => app.config.agency)
}

export default agencyRoutes
