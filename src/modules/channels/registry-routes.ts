// `/v1/admin/channel-registries`: a channel's daily registry uploaded and compared (registry-service.ts), and read.
import type { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { actorOf } from '../../http/auth.js'
import { AUTH_PROBLEMS, pageOf, problemResponses } from '../../http/schemas.js'
import { readBoundedBody } from '../../http/bounded-body.js'
import { CSV_MEDIA_TYPES, rawBodyRoutes } from '../../http/media-types.js'
import {
  ChannelRegistrySchema, ChannelRegistrySummarySchema, RegistryListQuery, RegistryParams, RegistryUploadQuery
} from './registry-schemas.js'
import { getRegistry, importRegistry, listRegistriesPage } from './registry-service.js'


const channelRegistryRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addSchema(ChannelRegistrySchema)
  app.addSchema(ChannelRegistrySummarySchema)
  const operator = app.requireScopes('operator')
  const limits = app.config.channelRegistries

  // The file arrives as the raw body (http/media-types.ts, rawBodyRoutes), so a txn_date of 14 digits is never read
  // as a card number; registry-file.ts checks each field by its own format.
  await rawBodyRoutes(app, CSV_MEDIA_TYPES, async (upload) => {
    upload.withTypeProvider<TypeBoxTypeProvider>().post('/admin/channel-registries', {
      preHandler: operator,
      schema: {
        operationId: 'importAdminChannelRegistry',
        tags: ['Admin: channels'],
        summary: 'Compare a channel\'s daily registry (Kaspi) with our payments',
        description: 'The body is Kaspi\'s registry of one Asia/Almaty day, `Content-Type: text/csv`, UTF-8, comma ' +
          'separated, header `txn_id,txn_date,account,sum` (`txn_date` YYYYMMDDHHMMSS, `sum` tenge with up to two ' +
          'decimals, read exactly). Each line is matched to our Kaspi payment by `txn_id`: `matched` counts equal ' +
          'sums; `missingHere` lists lines we have no payment for; `missingThere` our Kaspi payments paid that day ' +
          'that the file lacks; `amountMismatches` both with other sums (amounts in integer tiyn). Every difference ' +
          'is kept with the registry, and our payments among them are flagged for review (`needsReview`, ' +
          '`payment.needs_review`). 201 with the comparison; the same file again for the same channel and day is ' +
          '200 with the stored comparison, recording nothing new; another file for that day is a new registry. ' +
          'A file with any bad line is refused whole: 422 `invalid_csv` listing the lines (`errors[].path` ' +
          '`body.line[N]`); a wrong header is 422 `invalid_csv_header`. Bounds: `CHANNEL_REGISTRY_MAX_BYTES` and ' +
          '`CHANNEL_REGISTRY_MAX_LINES` (413 `payload_too_large`), fields at most 64 characters. Audit-logged. ' +
          'Scopes: operator, admin.',
        consumes: [...CSV_MEDIA_TYPES],
        querystring: RegistryUploadQuery,
        body: Type.String({ format: 'binary', description: 'The registry CSV, as Kaspi sent it' }),
        response: {
          200: Type.Ref(ChannelRegistrySchema, { description: 'The same file came before: its comparison, as stored' }),
          201: Type.Ref(ChannelRegistrySchema),
          ...problemResponses({
            400: ['validation_failed'], ...AUTH_PROBLEMS, 408: ['request_timeout'], 413: ['payload_too_large'],
            415: ['unsupported_media_type'], 422: ['invalid_csv_header', 'invalid_csv', 'invalid_date']
          })
        }
      }
    }, async (request, reply) => {
      const file = await readBoundedBody(request.headers, request.body as unknown as Readable, limits.maxBytes, 'registry')
      const { registry, created } = await importRegistry({ db: app.db }, actorOf(request), {
        channel: request.query.channel, date: request.query.date, file, maxLines: limits.maxLines
      })
      return await reply.code(created ? 201 : 200).send(registry)
    })
  })

  app.get('/admin/channel-registries', {
    preHandler: operator,
    schema: {
      operationId: 'listAdminChannelRegistries',
      tags: ['Admin: channels'],
      summary: 'List channel registries',
      description: 'Newest first, each with its counts; filter by `channel` and `date`. Scopes: operator, admin.',
      querystring: RegistryListQuery,
      response: {
        200: pageOf(Type.Ref(ChannelRegistrySummarySchema), 'A page of registries'),
        ...problemResponses({ 400: ['validation_failed'], ...AUTH_PROBLEMS })
      }
    }
  }, async (request) => await listRegistriesPage(app.db, request.query))

  app.get('/admin/channel-registries/:id', {
    preHandler: operator,
    schema: {
      operationId: 'getAdminChannelRegistry',
      tags: ['Admin: channels'],
      summary: 'A channel registry with its differences',
      description: 'The comparison as it was made: every difference it found. Scopes: operator, admin.',
      params: RegistryParams,
      response: {
        200: Type.Ref(ChannelRegistrySchema),
        ...problemResponses({ 400: ['validation_failed'], ...AUTH_PROBLEMS, 404: ['channel_registry_not_found'] })
      }
    }
  }, async (request) => await getRegistry(app.db, request.params.id))
}

export default channelRegistryRoutes
