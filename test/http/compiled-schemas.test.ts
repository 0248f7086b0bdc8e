import t from 'tap'
import { CompiledCache, schemaText } from '../../src/http/compiled-schemas.js'
import { createTestApp } from '../helpers/app.js'

t.test('a compiled function is kept under its schema text, and the oldest goes past the limit', async (t) => {
  const cache = new CompiledCache<() => string>(2)
  let compiled = 0
  const compile = (name: string) => () => { compiled++; return () => name }
  const a = cache.get('a', compile('a'))
  t.equal(cache.get('a', compile('again')), a, 'the same key gives the function compiled first')
  cache.get('b', compile('b'))
  cache.get('c', compile('c'))
  t.equal(cache.size, 2, 'never more than the limit')
  t.not(cache.get('a', compile('a2')), a, 'the oldest was dropped, so it compiles again')
  t.equal(compiled, 4)
})

t.test('schema text: equal schemas are one key, any keyword apart is another', async (t) => {
  const schema = { type: 'object', properties: { amount: { type: 'integer', minimum: 1 } } }
  t.equal(schemaText(schema), schemaText(structuredClone(schema)))
  t.not(schemaText(schema), schemaText({ type: 'object', properties: { amount: { type: 'integer', minimum: 0 } } }))
  t.equal(schemaText(undefined), 'undefined')
})

t.test('a second app of the process validates and answers as the first, from the same compiled functions',
  async (t) => {
    const first = await createTestApp(t)
    const second = await createTestApp(t)
    for (const { app } of [first, second]) {
      const bad = await app.inject({ method: 'POST', url: '/v1/debts/lookup', payload: { contractNumber: 1 } })
      t.equal(bad.statusCode, 400)
      t.match(bad.json(), { code: 'validation_failed', errors: [{ path: 'body.iin' }] })
      const offer = await app.inject({ method: 'GET', url: '/v1/offer' })
      t.equal(offer.statusCode, 200)
      t.equal(offer.json().version, 1)
    }
  })
