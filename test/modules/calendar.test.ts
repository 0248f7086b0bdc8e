import t from 'tap'
import { sql } from 'kysely'
import type { FastifyInstance } from 'fastify'
import { KZ_NON_WORKING_DAYS_SEED } from '../../src/lib/calendar.js'
import { businessDaysAfter } from '../../src/modules/calendar/service.js'
import { createKey, createTestApp } from '../helpers/app.js'

const BASE = '/v1/admin/calendar'

async function deadline (app: FastifyInstance, authorization: string, from: string, days: number): Promise<string> {
  const response = await app.inject({ method: 'GET', url: `${BASE}/business-days?from=${from}&days=${days}`, headers: { authorization } })
  return response.json().date
}

t.test('the seeded calendar gives the worked deadlines of kz-holidays.md, counted from the Almaty date', async (t) => {
  const { app } = await createTestApp(t)
  const at = async (instant: string, n: number) => await businessDaysAfter(app.db, new Date(instant), n)
  t.equal(await at('2026-03-19T10:00:00+05:00', 5), '2026-03-31', 'Nauryz and its observed days are skipped')
  t.equal(await at('2026-04-30T10:00:00+05:00', 5), '2026-05-12', 'May holidays and Victory Day observed')
  t.equal(await at('2025-12-29T10:00:00+05:00', 5), '2026-01-08', 'New Year and Orthodox Christmas')
  t.equal(await at('2026-03-19T10:00:00+05:00', 30), '2026-05-06', 'the personal-data term (offer cl. 16)')

  t.equal(await at('2026-03-19T18:59:59Z', 5), '2026-03-31', '23:59:59 in Almaty is still the 19th')
  t.equal(await at('2026-03-19T20:30:00Z', 5), '2026-04-01', '01:30 on the 20th in Almaty: a day later')
  t.equal(await at('2024-05-03T12:00:00+05:00', 1), '2024-05-04', 'the seeded decree working Saturday counts')
  t.equal(await at('2026-08-28T12:00:00+05:00', 1), '2026-08-31', 'the disputed 2026-08-31 is not seeded')
})

t.test('the table holds exactly the seed of src/lib/calendar.ts', async (t) => {
  const { app } = await createTestApp(t)
  const operator = await createKey(app, ['operator'])
  const all = await app.inject({ method: 'GET', url: `${BASE}/non-working-days`, headers: { authorization: operator.authorization } })
  t.equal(all.statusCode, 200)
  t.same(all.json().data, KZ_NON_WORKING_DAYS_SEED, 'the migration copied all 80 rows, in date order')
  t.equal(all.json().data.length, 80)

  const march = await app.inject({ method: 'GET', url: `${BASE}/non-working-days?from=2026-03-01&to=2026-03-31`, headers: { authorization: operator.authorization } })
  t.same(march.json().data.map((d: { date: string }) => d.date), ['2026-03-08', '2026-03-09', '2026-03-21', '2026-03-22', '2026-03-23', '2026-03-24', '2026-03-25'])
  const fromOnly = await app.inject({ method: 'GET', url: `${BASE}/non-working-days?from=2027-12-01`, headers: { authorization: operator.authorization } })
  t.same(fromOnly.json().data, [{ date: '2027-12-16', kind: 'holiday', name: 'Independence Day' }])
  const empty = await app.inject({ method: 'GET', url: `${BASE}/non-working-days?from=2026-04-01&to=2026-03-01`, headers: { authorization: operator.authorization } })
  t.same(empty.json(), { data: [] }, 'a range ending before it starts holds nothing')
})

t.test('operators check a deadline over HTTP', async (t) => {
  const { app } = await createTestApp(t)
  const operator = await createKey(app, ['operator'])
  const response = await app.inject({ method: 'GET', url: `${BASE}/business-days?from=2026-03-19&days=5`, headers: { authorization: operator.authorization } })
  t.equal(response.statusCode, 200)
  t.same(response.json(), { from: '2026-03-19', days: 5, date: '2026-03-31' })
  t.equal(await deadline(app, operator.authorization, '2026-03-21', 0), '2026-03-21', 'zero days is the day itself, even a holiday')
})

t.test('a decree day off moves a deadline that spans it; removing it moves it back; both are audit-logged', async (t) => {
  const { app } = await createTestApp(t)
  const operator = await createKey(app, ['operator'])
  const headers = { authorization: operator.authorization }
  t.equal(await deadline(app, operator.authorization, '2026-04-30', 5), '2026-05-12')

  const set = await app.inject({ method: 'PUT', url: `${BASE}/non-working-days/2026-05-05`, headers, payload: { kind: 'decree', name: 'Day off moved by decree' } })
  t.equal(set.statusCode, 200)
  t.same(set.json(), { date: '2026-05-05', kind: 'decree', name: 'Day off moved by decree' })
  t.equal(await deadline(app, operator.authorization, '2026-04-30', 5), '2026-05-13', 'the new day off counts at once')
  t.equal(await businessDaysAfter(app.db, new Date('2026-04-30T15:00:00+05:00'), 5), '2026-05-13', 'for the service too')

  const removed = await app.inject({ method: 'DELETE', url: `${BASE}/non-working-days/2026-05-05`, headers })
  t.equal(removed.statusCode, 200)
  t.same(removed.json(), { date: '2026-05-05', kind: 'decree', name: 'Day off moved by decree' })
  t.equal(await deadline(app, operator.authorization, '2026-04-30', 5), '2026-05-12', 'back to the seeded deadline')

  const again = await app.inject({ method: 'DELETE', url: `${BASE}/non-working-days/2026-05-05`, headers })
  t.equal(again.statusCode, 404)
  t.equal(again.json().code, 'non_working_day_not_found')
  t.match(again.headers['content-type'], /application\/problem\+json/)

  const audit = await app.inject({ method: 'GET', url: '/v1/admin/audit-log?entityType=non_working_day', headers })
  t.match(audit.json().data, [
    { action: 'calendar.day_removed', entityId: '2026-05-05', actorKeyId: operator.id, details: { kind: 'decree', name: 'Day off moved by decree' } },
    { action: 'calendar.day_set', entityId: '2026-05-05', actorKeyId: operator.id, details: { kind: 'decree', previous: null } }
  ])
  t.equal(audit.json().data.length, 2, 'the refused delete left no entry')
})

t.test('setting a day that exists replaces it and records what it was', async (t) => {
  const { app } = await createTestApp(t)
  const admin = await createKey(app, ['admin'])
  const headers = { authorization: admin.authorization }
  const replaced = await app.inject({ method: 'PUT', url: `${BASE}/non-working-days/2027-05-16`, headers, payload: { kind: 'holiday', name: 'Kurban Ait (confirmed)' } })
  t.equal(replaced.statusCode, 200)
  t.same(replaced.json(), { date: '2027-05-16', kind: 'holiday', name: 'Kurban Ait (confirmed)' })
  const list = await app.inject({ method: 'GET', url: `${BASE}/non-working-days?from=2027-05-16&to=2027-05-16`, headers })
  t.same(list.json().data, [replaced.json()], 'one row per date')
  const audit = await app.inject({ method: 'GET', url: '/v1/admin/audit-log?entityType=non_working_day&entityId=2027-05-16', headers })
  t.match(audit.json().data, [{ action: 'calendar.day_set', details: { name: 'Kurban Ait (confirmed)', previous: { kind: 'holiday', name: 'Kurban Ait' } } }])
})

t.test('a decree working Saturday counts as a working day, and only a weekend day can be one', async (t) => {
  const { app } = await createTestApp(t)
  const operator = await createKey(app, ['operator'])
  const headers = { authorization: operator.authorization }
  t.equal(await deadline(app, operator.authorization, '2026-12-18', 1), '2026-12-21', 'Friday + 1 is Monday')
  const saturday = await app.inject({ method: 'PUT', url: `${BASE}/non-working-days/2026-12-19`, headers, payload: { kind: 'working', name: 'Working Saturday (decree)' } })
  t.equal(saturday.statusCode, 200)
  t.equal(await deadline(app, operator.authorization, '2026-12-18', 1), '2026-12-19', 'the working Saturday counts')
  t.equal(await businessDaysAfter(app.db, new Date('2026-12-18T09:00:00+05:00'), 2), '2026-12-21')

  const weekday = await app.inject({ method: 'PUT', url: `${BASE}/non-working-days/2026-12-17`, headers, payload: { kind: 'working', name: 'Thursday' } })
  t.equal(weekday.statusCode, 422)
  t.equal(weekday.json().code, 'working_day_not_weekend')
  await t.rejects(sql`insert into non_working_days (date, kind, name) values ('2026-12-17', 'working', 'Thursday')`.execute(app.db),
    /non_working_days_working_on_weekend/, 'the table refuses it too')
})

t.test('the calendar is for operators and admins only', async (t) => {
  const { app } = await createTestApp(t)
  const partner = await createKey(app, ['partner'])
  const requests = [
    { method: 'GET' as const, url: `${BASE}/non-working-days` },
    { method: 'PUT' as const, url: `${BASE}/non-working-days/2026-05-05`, payload: { kind: 'decree', name: 'x' } },
    { method: 'DELETE' as const, url: `${BASE}/non-working-days/2026-03-09` },
    { method: 'GET' as const, url: `${BASE}/business-days?from=2026-03-19&days=5` }
  ]
  for (const request of requests) {
    const anonymous = await app.inject(request)
    t.equal(anonymous.statusCode, 401, `${request.method} ${request.url} without a key`)
    t.equal(anonymous.json().code, 'unauthenticated')
    const forbidden = await app.inject({ ...request, headers: { authorization: partner.authorization } })
    t.equal(forbidden.statusCode, 403, `${request.method} ${request.url} with a partner key`)
    t.equal(forbidden.json().code, 'forbidden')
  }
  const list = await app.inject({ method: 'GET', url: `${BASE}/non-working-days?from=2026-03-09&to=2026-03-09` })
  t.equal(list.statusCode, 401)
  const audit = await app.inject({ method: 'GET', url: '/v1/admin/audit-log?entityType=non_working_day', headers: { authorization: (await createKey(app, ['operator'])).authorization } })
  t.same(audit.json().data, [], 'nothing changed')
})

t.test('malformed dates are 400, impossible ones 422', async (t) => {
  const { app } = await createTestApp(t)
  const operator = await createKey(app, ['operator'])
  const headers = { authorization: operator.authorization }
  const malformed = [
    { method: 'GET' as const, url: `${BASE}/non-working-days?from=tomorrow` },
    { method: 'GET' as const, url: `${BASE}/non-working-days?to=2026-3-1` },
    { method: 'GET' as const, url: `${BASE}/non-working-days?year=2026` },
    { method: 'PUT' as const, url: `${BASE}/non-working-days/2026-05-05x`, payload: { kind: 'decree', name: 'x' } },
    { method: 'PUT' as const, url: `${BASE}/non-working-days/2026-05-05`, payload: { kind: 'party', name: 'x' } },
    { method: 'PUT' as const, url: `${BASE}/non-working-days/2026-05-05`, payload: { kind: 'decree', name: '' } },
    { method: 'PUT' as const, url: `${BASE}/non-working-days/2026-05-05`, payload: { kind: 'decree', name: 'x', date: '2026-05-06' } },
    { method: 'DELETE' as const, url: `${BASE}/non-working-days/05.05.2026` },
    { method: 'GET' as const, url: `${BASE}/business-days?from=2026-03-19` },
    { method: 'GET' as const, url: `${BASE}/business-days?from=2026-03-19&days=-1` },
    { method: 'GET' as const, url: `${BASE}/business-days?from=2026-03-19&days=3661` },
    { method: 'GET' as const, url: `${BASE}/business-days?from=2026-03-19&days=1.5` }
  ]
  for (const request of malformed) {
    const response = await app.inject({ ...request, headers })
    t.equal(response.statusCode, 400, `${request.method} ${request.url}`)
    t.equal(response.json().code, 'validation_failed')
  }

  const impossible = [
    { method: 'GET' as const, url: `${BASE}/non-working-days?from=2026-02-30` },
    { method: 'GET' as const, url: `${BASE}/non-working-days?from=2026-01-01&to=2026-13-01` },
    { method: 'PUT' as const, url: `${BASE}/non-working-days/2026-02-30`, payload: { kind: 'decree', name: 'x' } },
    { method: 'DELETE' as const, url: `${BASE}/non-working-days/2025-02-29` },
    { method: 'GET' as const, url: `${BASE}/business-days?from=2026-02-30&days=5` },
    { method: 'GET' as const, url: `${BASE}/business-days?from=9999-12-30&days=5` }
  ]
  for (const request of impossible) {
    const response = await app.inject({ ...request, headers })
    t.equal(response.statusCode, 422, `${request.method} ${request.url}`)
    t.equal(response.json().code, 'invalid_date')
  }
  const leapDay = await app.inject({ method: 'DELETE', url: `${BASE}/non-working-days/2024-02-29`, headers })
  t.equal(leapDay.json().code, 'non_working_day_not_found', 'a real leap day is a date, just not in the calendar')
})
