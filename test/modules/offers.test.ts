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

const sha = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex')

t.test('a version holds a text per language, each with its own sha256 (DESIGN 19)', async (t) => {
  const { app } = await createTestApp(t)
  const admin = await createKey(app, ['admin'])
  const headers = { authorization: admin.authorization }
  const missing = await app.inject({ method: 'GET', url: '/v1/offer?lang=kk' })
  t.equal(missing.statusCode, 404, 'the seed has no Kazakh text: none is invented')
  t.equal(missing.json().code, 'offer_not_found')
  t.match((await app.inject({ method: 'GET', url: '/v1/offer' })).json(), { version: 1, languages: ['ru'] })

  const ru = 'Договор публичной оферты, ред. 2.\n'
  const kk = 'Жария оферта шарты, 2-ред.\nӘә ҒғҚқ Ңң Өө Ұұ Үү Һһ Іі.\n'
  const published = await app.inject({
    method: 'POST', url: '/v1/admin/offers', headers,
    payload: { title: 'Оферта, ред. 2', titles: { kk: 'Жария оферта, 2-ред.' }, texts: { ru, kk } }
  })
  t.equal(published.statusCode, 201)
  t.match(published.json(), { version: 2, language: 'ru', languages: ['kk', 'ru'], text: ru, sha256: sha(ru) })

  const kkNow = await app.inject({ method: 'GET', url: '/v1/offer?lang=kk' })
  t.equal(kkNow.statusCode, 200)
  t.match(kkNow.json(), { version: 2, language: 'kk', languages: ['kk', 'ru'], title: 'Жария оферта, 2-ред.', text: kk, sha256: sha(kk) })
  t.not(kkNow.json().id, published.json().id, 'each text is its own record')
  t.match((await app.inject({ method: 'GET', url: '/v1/offer' })).json(), { version: 2, language: 'ru', sha256: sha(ru) })
  const en = await app.inject({ method: 'GET', url: '/v1/offer?lang=en' })
  t.equal(en.statusCode, 404)
  t.equal(en.json().code, 'offer_not_found')

  const v2kk = await app.inject({ method: 'GET', url: '/v1/offer/versions/2?lang=kk' })
  t.match(v2kk.json(), { version: 2, language: 'kk', sha256: sha(kk) })
  const v1kk = await app.inject({ method: 'GET', url: '/v1/offer/versions/1?lang=kk' })
  t.equal(v1kk.statusCode, 404, 'version 1 has no Kazakh text')
  t.equal(v1kk.json().code, 'offer_not_found')
  t.match((await app.inject({ method: 'GET', url: '/v1/offer/versions/1?lang=ru' })).json(), { version: 1, languages: ['ru'], sha256: seedSha })

  const bad = await app.inject({ method: 'GET', url: '/v1/offer?lang=de' })
  t.equal(bad.statusCode, 400, 'a language the service does not speak is a bad query value')
  t.equal(bad.json().code, 'validation_failed')
  t.equal((await app.inject({ method: 'GET', url: '/v1/offer/versions/2?lang=xx' })).statusCode, 400)

  // a new version carries exactly the texts it is published with: the kk text does not follow
  const v3 = await app.inject({ method: 'POST', url: '/v1/admin/offers', headers, payload: { title: 'Оферта, ред. 3', text: 'ред. 3' } })
  t.match(v3.json(), { version: 3, language: 'ru', languages: ['ru'], text: 'ред. 3' }, 'the old {text} form is ru')
  t.equal((await app.inject({ method: 'GET', url: '/v1/offer?lang=kk' })).statusCode, 404)
  t.equal((await app.inject({ method: 'GET', url: '/v1/offer/versions/2?lang=kk' })).json().text, kk, 'kept as evidence')

  const audit = await app.inject({ method: 'GET', url: '/v1/admin/audit-log?entityType=offer', headers })
  t.match(audit.json().data.find((e: { entityId: string }) => e.entityId === published.json().id), {
    action: 'offer.published', details: { version: 2, texts: { ru: { sha256: sha(ru) }, kk: { id: kkNow.json().id, sha256: sha(kk) } } }
  })
})

t.test('the earlier {language, text} form: a kk text alone keeps the current ru text in the new version', async (t) => {
  const { app } = await createTestApp(t)
  const admin = await createKey(app, ['admin'])
  const kk = await app.inject({ method: 'POST', url: '/v1/admin/offers', headers: { authorization: admin.authorization }, payload: { language: 'kk', title: 'Жария оферта', text: 'Мәтін' } })
  t.equal(kk.statusCode, 201)
  t.match(kk.json(), { version: 2, language: 'kk', languages: ['kk', 'ru'], title: 'Жария оферта', text: 'Мәтін', sha256: sha('Мәтін') })
  const ru = (await app.inject({ method: 'GET', url: '/v1/offer' })).json()
  t.match(ru, { version: 2, language: 'ru', title: 'Договор публичной оферты', sha256: seedSha }, 'the ru text is the seed\'s, byte for byte')

  const both = await app.inject({ method: 'POST', url: '/v1/admin/offers', headers: { authorization: admin.authorization }, payload: { title: 't', text: 'x', texts: { ru: 'y' } } })
  t.equal(both.statusCode, 400, 'texts or text, not both')
  t.equal(both.json().code, 'validation_failed')
  const neither = await app.inject({ method: 'POST', url: '/v1/admin/offers', headers: { authorization: admin.authorization }, payload: { title: 't' } })
  t.equal(neither.statusCode, 400)
  const noRu = await app.inject({ method: 'POST', url: '/v1/admin/offers', headers: { authorization: admin.authorization }, payload: { title: 't', texts: { kk: 'y' } } })
  t.equal(noRu.statusCode, 400, 'texts needs ru')
  const langWithTexts = await app.inject({ method: 'POST', url: '/v1/admin/offers', headers: { authorization: admin.authorization }, payload: { title: 't', language: 'kk', texts: { ru: 'y' } } })
  t.equal(langWithTexts.statusCode, 400, 'language belongs to the {text} form')
  t.equal((await app.inject({ method: 'GET', url: '/v1/offer' })).json().version, 2, 'nothing published')
})

t.test('concurrent publishers never share a version number', async (t) => {
  const { app } = await createTestApp(t)
  const admin = await createKey(app, ['admin'])
  const payloadOf = (i: number): object => i % 2 === 0
    ? { language: 'ru', title: `r${i}`, text: `text ${i}` }
    : { title: `r${i}`, texts: { ru: `text ${i}`, kk: `мәтін ${i}` } }
  const responses = await Promise.all(Array.from({ length: 8 }, async (_, i) =>
    await app.inject({ method: 'POST', url: '/v1/admin/offers', headers: { authorization: admin.authorization }, payload: payloadOf(i) })))
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
