import t from 'tap'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import pg from 'pg'
import { createKey, createTestApp } from '../helpers/app.js'

const seed = readFileSync(new URL('../../migrations/seeds/public-offer.ru.txt', import.meta.url))
const seedSha = createHash('sha256').update(seed).digest('hex')

t.test('version 1 is the agency\'s legal text, byte for byte', async (t) => {
  const { app } = await createTestApp(t)
  const response = await app.inject({ method: 'GET', url: '/v1/offer?lang=ru' })
  t.equal(response.statusCode, 200)
  const offer = response.json()
  t.match(offer, { id: /^off_[0-9a-f]{32}$/, version: 1, language: 'ru', title: 'Договор публичной оферты', publishedAt: /^\d{4}-\d\d-\d\dT/ })
  t.equal(offer.sha256, seedSha, 'the hash is the seed file\'s')
  t.equal(createHash('sha256').update(offer.text, 'utf8').digest('hex'), seedSha, 'the text hashes to it')
  t.ok(Buffer.from(offer.text, 'utf8').equals(seed), 'identical bytes')
  const byDefault = await app.inject({ method: 'GET', url: '/v1/offer' })
  t.equal(byDefault.json().id, offer.id, 'Russian is the default language')
})

t.test('publishing makes a new current version; old versions stay readable', async (t) => {
  const { app } = await createTestApp(t)
  const admin = await createKey(app, ['admin'])
  const text = 'Новая редакция оферты.\nҚазақша: Әә ҒғҚқ Ңң Өө Ұұ Үү Һһ Іі. Ёё.\n'
  const published = await app.inject({ method: 'POST', url: '/v1/admin/offers', headers: { authorization: admin.authorization }, payload: { language: 'ru', title: 'Оферта, ред. 2', text } })
  t.equal(published.statusCode, 201)
  t.match(published.json(), { version: 2, language: 'ru', text, sha256: createHash('sha256').update(text).digest('hex') })

  const current = await app.inject({ method: 'GET', url: '/v1/offer?lang=ru' })
  t.equal(current.json().version, 2)
  t.equal(current.json().text, text)
  const v1 = await app.inject({ method: 'GET', url: '/v1/offer/versions/1?lang=ru' })
  t.equal(v1.statusCode, 200)
  t.equal(v1.json().sha256, seedSha)

  const audit = await app.inject({ method: 'GET', url: '/v1/admin/audit-log?entityType=offer', headers: { authorization: admin.authorization } })
  t.match(audit.json().data, [{ action: 'offer.published', entityId: published.json().id, actorKeyId: admin.id, details: { version: 2 } }])
})

t.test('a language gets its own version line', async (t) => {
  const { app } = await createTestApp(t)
  const admin = await createKey(app, ['admin'])
  const missing = await app.inject({ method: 'GET', url: '/v1/offer?lang=kk' })
  t.equal(missing.statusCode, 404)
  t.equal(missing.json().code, 'offer_not_found')
  const kk = await app.inject({ method: 'POST', url: '/v1/admin/offers', headers: { authorization: admin.authorization }, payload: { language: 'kk', title: 'Жария оферта', text: 'Мәтін' } })
  t.equal(kk.json().version, 1)
  t.equal((await app.inject({ method: 'GET', url: '/v1/offer' })).json().version, 1, 'Russian is unchanged')
})

t.test('concurrent publishers never share a version number', async (t) => {
  const { app } = await createTestApp(t)
  const admin = await createKey(app, ['admin'])
  const responses = await Promise.all(Array.from({ length: 8 }, async (_, i) =>
    await app.inject({ method: 'POST', url: '/v1/admin/offers', headers: { authorization: admin.authorization }, payload: { language: 'ru', title: `r${i}`, text: `text ${i}` } })))
  t.same(responses.map((r) => r.statusCode), Array(8).fill(201))
  t.same(responses.map((r) => r.json().version).sort((a, b) => a - b), [2, 3, 4, 5, 6, 7, 8, 9])
})

t.test('publishing needs an admin key and a valid body', async (t) => {
  const { app, databaseUrl } = await createTestApp(t)
  const operator = await createKey(app, ['operator'])
  const admin = await createKey(app, ['admin'])
  const payload = { language: 'ru', title: 't', text: 'x' }
  t.equal((await app.inject({ method: 'POST', url: '/v1/admin/offers', payload })).statusCode, 401)
  t.equal((await app.inject({ method: 'POST', url: '/v1/admin/offers', headers: { authorization: operator.authorization }, payload })).statusCode, 403)
  const bad = await app.inject({ method: 'POST', url: '/v1/admin/offers', headers: { authorization: admin.authorization }, payload: { language: 'russian', title: '', text: 'x', extra: 1 } })
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().code, 'validation_failed')
  t.ok(bad.json().errors.length >= 1)
  const unknownVersion = await app.inject({ method: 'GET', url: '/v1/offer/versions/99' })
  t.equal(unknownVersion.statusCode, 404)

  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  t.teardown(async () => { await client.end() })
  await t.rejects(client.query("update offers set text = 'edited'"), /immutable/, 'a published text can never be edited')
})
