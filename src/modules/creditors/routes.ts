import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { actorOf } from '../../http/auth.js'
import { AUTH_PROBLEMS, pageOf, paginationQuery, problemResponses } from '../../http/schemas.js'
import { publicIdPattern } from '../../lib/ids.js'
import { CreateCreditorBody, CreditorParams, CreditorSchema, PatchCreditorBody } from './schemas.js'
import { createCreditor, getCreditor, listCreditors, patchCreditor } from './service.js'

const TAG = 'Admin: creditors'
const MATCHING = 'A portfolio row, a partner key and a report name a creditor by its name or an alias, compared with ' +
  'NFKC, case, quote marks («» "" „“ ‘’ \') and runs of spaces folded.'

/** `/v1/admin/creditors` (DESIGN 18): creditors as records. */
const creditorRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addSchema(CreditorSchema)
  const admin = app.requireScopes('admin')
  const read = app.requireScopes('operator')
  const auth = AUTH_PROBLEMS

  app.post('/creditors', {
    preHandler: admin,
    schema: {
      operationId: 'createAdminCreditor',
      tags: [TAG],
      summary: 'Create a creditor',
      description: `A creditor with its name, aliases, BIN and agreement (default \`assignment\`, commission 0). ${MATCHING} ` +
        'A name or alias another creditor has (folded alike) is 409 `creditor_exists`. Audit-logged. Scope: admin.',
      body: CreateCreditorBody,
      response: {
        201: Type.Ref(CreditorSchema),
        ...problemResponses({
          400: ['validation_failed', 'malformed_json'], ...auth, 409: ['creditor_exists'],
          422: ['invalid_bin', 'invalid_agreement', 'invalid_creditor_name']
        })
      }
    }
  }, async (request, reply) => await reply.code(201).send(await createCreditor(app.db, actorOf(request), request.body)))

  app.get('/creditors', {
    preHandler: read,
    schema: {
      operationId: 'listAdminCreditors',
      tags: [TAG],
      summary: 'List creditors',
      description: 'Every creditor, oldest first. Scopes: operator, admin.',
      querystring: Type.Object(paginationQuery(publicIdPattern('creditor')), { additionalProperties: false }),
      response: {
        200: pageOf(Type.Ref(CreditorSchema), 'A page of creditors'),
        ...problemResponses({ 400: ['validation_failed'], ...auth })
      }
    }
  }, async (request) => await listCreditors(app.db, request.query))

  app.get('/creditors/:id', {
    preHandler: read,
    schema: {
      operationId: 'getAdminCreditor',
      tags: [TAG],
      summary: 'Get a creditor',
      description: 'Scopes: operator, admin.',
      params: CreditorParams,
      response: {
        200: Type.Ref(CreditorSchema),
        ...problemResponses({ 400: ['validation_failed'], ...auth, 404: ['unknown_creditor'] })
      }
    }
  }, async (request) => await getCreditor(app.db, request.params.id))

  app.patch('/creditors/:id', {
    preHandler: admin,
    schema: {
      operationId: 'updateAdminCreditor',
      tags: [TAG],
      summary: 'Change a creditor',
      description: 'Renames it, replaces its aliases, sets its BIN or agreement. Debts, the ledger\'s claims ' +
        'accounts and partner keys hold the creditor\'s id: a rename changes none of them (a debt keeps the name ' +
        'its portfolio row wrote). A name or alias another creditor has is 409 `creditor_exists`. Audit-logged. ' +
        'Scope: admin.',
      params: CreditorParams,
      body: PatchCreditorBody,
      response: {
        200: Type.Ref(CreditorSchema),
        ...problemResponses({
          400: ['validation_failed', 'malformed_json'], ...auth, 404: ['unknown_creditor'], 409: ['creditor_exists'],
          422: ['invalid_bin', 'invalid_agreement', 'invalid_creditor_name']
        })
      }
    }
  }, async (request) => await patchCreditor(app.db, actorOf(request), request.params.id, request.body))
}

export default creditorRoutes
