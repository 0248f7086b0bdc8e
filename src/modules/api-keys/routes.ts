import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { actorOf } from '../../http/auth.js'
import { AUTH_PROBLEMS, pageOf, paginationQuery, problemResponses } from '../../http/schemas.js'
import { publicIdPattern } from '../../lib/ids.js'
import { ApiKeyParams, ApiKeySchema, CreateApiKeyBody, CreatedApiKeySchema } from './schemas.js'
import { createApiKey, listApiKeys, revokeApiKey } from './service.js'

const apiKeyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addSchema(ApiKeySchema)
  app.addSchema(CreatedApiKeySchema)
  const admin = app.requireScopes('admin')
  const authProblems = AUTH_PROBLEMS

  app.post('/api-keys', {
    preHandler: admin,
    schema: {
      operationId: 'createAdminApiKey',
      tags: ['Admin: API keys'],
      summary: 'Create an API key',
      description: 'Creates a key with the given scopes. The key is in this response only; the service keeps its SHA-256. ' +
        'A `partner` key is bound to `creditors` (ids or names; it stores the ids, so a rename changes nothing) and sees only their debts, payments, events and reports. ' +
        'A key may expire (`expiresAt`, in the future: 422 `invalid_expiry` otherwise) and be bound to addresses ' +
        '(`allowedIps`, addresses and CIDRs: anything else is 400 `validation_failed`); an expired key, or one used ' +
        'from another address, is answered 401 `unauthenticated` like an unknown key. ' +
        'Audit-logged. Scope: admin.',
      body: CreateApiKeyBody,
      response: {
        201: Type.Ref(CreatedApiKeySchema),
        ...problemResponses({
          400: ['validation_failed', 'malformed_json'], ...authProblems,
          422: [
            'creditor_not_found', 'partner_creditors_required', 'creditors_need_partner_scope',
            'partner_scope_exclusive', 'invalid_expiry'
          ]
        })
      }
    }
  }, async (request, reply) => await reply.code(201).send(await createApiKey(app.db, actorOf(request), request.body)))

  app.get('/api-keys', {
    preHandler: admin,
    schema: {
      operationId: 'listAdminApiKeys',
      tags: ['Admin: API keys'],
      summary: 'List API keys',
      description: 'Every key with its scopes and state, oldest first; never the key values. Scope: admin.',
      querystring: Type.Object(paginationQuery(publicIdPattern('apiKey')), { additionalProperties: false }),
      response: { 200: pageOf(Type.Ref(ApiKeySchema), 'A page of API keys'), ...problemResponses({ 400: ['validation_failed'], ...authProblems }) }
    }
  }, async (request) => await listApiKeys(app.db, {
    limit: request.query.limit ?? 20,
    startingAfter: request.query.startingAfter
  }))

  app.delete('/api-keys/:id', {
    preHandler: admin,
    schema: {
      operationId: 'revokeAdminApiKey',
      tags: ['Admin: API keys'],
      summary: 'Revoke an API key',
      description: 'The key stops working at once (401 `unauthenticated`); the record stays for the audit trail. The webhook endpoints the key created are disabled in the same transaction ' +
        '(`disabledReason` says so, their pending deliveries fail); a live partner key of the same creditors may enable them again. Revoking twice is harmless. Audit-logged. Scope: admin.',
      params: ApiKeyParams,
      response: { 200: Type.Ref(ApiKeySchema), ...problemResponses({ 400: ['validation_failed'], ...authProblems, 404: ['api_key_not_found'] }) }
    }
  }, async (request) => await revokeApiKey(app.db, actorOf(request), request.params.id))
}

export default apiKeyRoutes
