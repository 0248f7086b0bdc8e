import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { actorOf } from '../../http/auth.js'
import { problemResponses } from '../../http/schemas.js'
import { OfferQuery, OfferSchema, OfferVersionParams, PublishOfferBody } from './schemas.js'
import { getCurrentOffer, getOfferVersion, publishOffer } from './service.js'

const offerRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addSchema(OfferSchema)
  const OfferRef = Type.Ref(OfferSchema)

  app.get('/offer', {
    // public and the same for everyone, but a new version must show at once: kept, asked again each time
    config: { cacheControl: 'public, no-cache' },
    schema: {
      operationId: 'getCurrentOffer',
      tags: ['Offer'],
      summary: 'The current public offer',
      description: 'The offer the client must read and accept before paying (offer cl. 1, 20). Show `text`; send ' +
        '`version`, `language` and `sha256` back when accepting. `?lang=kk|ru|en` picks the text (ru by default); ' +
        'where the current version has none in that language, 404 `offer_not_found`: show the ru text then.',
      security: [],
      querystring: OfferQuery,
      response: { 200: OfferRef, ...problemResponses({ 400: ['validation_failed'], 404: ['offer_not_found'], 429: ['rate_limited'] }) }
    }
  }, async (request) => await getCurrentOffer(app.db, request.query.lang ?? 'ru'))

  app.get('/offer/versions/:version', {
    // a published version never changes (offer cl. 24)
    config: { cacheControl: 'public, max-age=86400' },
    schema: {
      operationId: 'getOfferVersion',
      tags: ['Offer'],
      summary: 'A published offer version',
      description: 'Any version ever published, kept unchanged as evidence of what a client accepted (offer cl. 24). ' +
        '`?lang=` picks the text; 404 `offer_not_found` where the version has none in that language.',
      security: [],
      params: OfferVersionParams,
      querystring: OfferQuery,
      response: { 200: OfferRef, ...problemResponses({ 400: ['validation_failed'], 404: ['offer_not_found'], 429: ['rate_limited'] }) }
    }
  }, async (request) => await getOfferVersion(app.db, request.query.lang ?? 'ru', request.params.version))

  app.post('/admin/offers', {
    preHandler: app.requireScopes('admin'),
    schema: {
      operationId: 'publishAdminOffer',
      tags: ['Admin: offers'],
      summary: 'Publish a new offer version',
      description: 'Publishes a new version with a text per language (`texts`: ru required, kk and en optional, ' +
        'each with its own sha256); it becomes current at once, and earlier versions stay readable. The earlier ' +
        'form `{title, text, language?}` publishes one text (ru by default; a kk or en text alone keeps the ' +
        'current ru text). Answers the ru text, or the earlier form\'s language. Audit-logged. Scope: admin.',
      body: PublishOfferBody,
      response: { 201: OfferRef, ...problemResponses({ 400: ['validation_failed', 'malformed_json'], 401: ['unauthenticated'], 403: ['forbidden'], 413: ['payload_too_large'], 415: ['unsupported_media_type'] }) }
    }
  }, async (request, reply) => {
    const offer = await publishOffer(app.db, actorOf(request), request.body)
    return await reply.code(201).send(offer)
  })
}

export default offerRoutes
