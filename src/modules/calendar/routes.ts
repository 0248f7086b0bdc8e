import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { actorOf } from '../../http/auth.js'
import { AUTH_PROBLEMS, problemResponses } from '../../http/schemas.js'
import {
  BusinessDaySchema, BusinessDaysQuery, NonWorkingDayListQuery, NonWorkingDayParams, NonWorkingDaySchema,
  SetNonWorkingDayBody
} from './schemas.js'
import { addNonWorkingDay, businessDaysAfterDate, listNonWorkingDays, removeNonWorkingDay } from './service.js'

/** Registered with prefix `/v1/admin`. */
const calendarRoutes: FastifyPluginAsyncTypebox = async (app) => {
  for (const schema of [NonWorkingDaySchema, BusinessDaySchema]) app.addSchema(schema)
  const DayRef = Type.Ref(NonWorkingDaySchema)
  const tags = ['Admin: calendar']
  const security = [{ apiKey: [] }]
  const authProblems = AUTH_PROBLEMS

  app.get('/calendar/non-working-days', {
    preHandler: app.requireScopes('operator'),
    schema: {
      operationId: 'listAdminNonWorkingDays',
      tags,
      summary: 'List the non-working days',
      description: 'The Kazakhstan calendar that business-day deadlines are counted against: holidays, observed days, decree days off, ' +
        'and the weekend days a decree made working days (`kind: working`), in date order. Seeded for 2024-2027; later years need their rows added. Scopes: operator, admin.',
      security,
      querystring: NonWorkingDayListQuery,
      response: {
        200: Type.Object({ data: Type.Array(DayRef) }, {
          additionalProperties: false,
          examples: [{ data: [{ date: '2026-03-09', kind: 'observed', name: 'International Women\'s Day (observed)' }] }]
        }),
        ...problemResponses({ 400: ['validation_failed'], ...authProblems, 422: ['invalid_date'] })
      }
    }
  }, async (request) => ({ data: await listNonWorkingDays(app.db, request.query) }))

  app.put('/calendar/non-working-days/:date', {
    preHandler: app.requireScopes('operator'),
    schema: {
      operationId: 'setAdminNonWorkingDay',
      tags,
      summary: 'Set a day of the calendar',
      description: 'Adds the day, or replaces what the date had. Decrees moving days off are published each year: enter the day off as `decree` and the Saturday or Sunday that became a working day as `working`. ' +
        'Deadlines counted after the change use it at once. Audit-logged (`calendar.day_set`, with the previous value). Scopes: operator, admin.',
      security,
      params: NonWorkingDayParams,
      body: SetNonWorkingDayBody,
      response: {
        200: DayRef,
        ...problemResponses({ 400: ['validation_failed', 'malformed_json'], ...authProblems, 415: ['unsupported_media_type'], 422: ['invalid_date', 'working_day_not_weekend'] })
      }
    }
  }, async (request) => await addNonWorkingDay(app.db, actorOf(request), {
    date: request.params.date,
    ...request.body
  }))

  app.delete('/calendar/non-working-days/:date', {
    preHandler: app.requireScopes('operator'),
    schema: {
      operationId: 'removeAdminNonWorkingDay',
      tags,
      summary: 'Remove a day from the calendar',
      description: 'The date becomes an ordinary day again (a working day Monday to Friday, a day off at the weekend). Answers with the removed day. ' +
        'Audit-logged (`calendar.day_removed`). Scopes: operator, admin.',
      security,
      params: NonWorkingDayParams,
      response: {
        200: DayRef,
        ...problemResponses({ 400: ['validation_failed'], ...authProblems, 404: ['non_working_day_not_found'], 422: ['invalid_date'] })
      }
    }
  }, async (request) => await removeNonWorkingDay(app.db, actorOf(request), request.params.date))

  app.get('/calendar/business-days', {
    preHandler: app.requireScopes('operator'),
    schema: {
      operationId: 'getAdminBusinessDays',
      tags,
      summary: 'Count business days',
      description: 'The `days`-th working day after `from`, counting from the next day: the rule of the refund term (offer cl. 5, 5 business days) and of ' +
        'the end of personal-data processing after consent is withdrawn (offer cl. 16, 30 business days). For operators checking a deadline. ' +
        'Beyond the years the calendar has rows for, only weekends count as days off. Scopes: operator, admin.',
      security,
      querystring: BusinessDaysQuery,
      response: {
        200: Type.Ref(BusinessDaySchema),
        ...problemResponses({ 400: ['validation_failed'], ...authProblems, 422: ['invalid_date'] })
      }
    }
  }, async (request) => {
    const { from, days } = request.query
    return { from, days, date: await businessDaysAfterDate(app.db, from, days) }
  })
}

export default calendarRoutes
