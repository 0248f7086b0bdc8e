import t from 'tap'
import Fastify from 'fastify'
import { Histogram, Registry } from 'prom-client'
import fc from 'fast-check'
import { RequestDurations } from '../../src/modules/metrics/request-durations.js'

/**
 * The HTTP request durations are printed exactly as prom-client's own
 * Histogram prints the same observations, so dashboards and alert rules
 * read them as before; each request is counted once, under its route
 * template, or as unmatched.
 */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15]
const NAME = 'test_http_request_duration_seconds'

t.test('the same observations print the same text as prom-client\'s Histogram', async (t) => {
  const observation = fc.record({
    route: fc.constantFrom('/v1/debts/lookup', '/v1/payments', '/v1/payments/:id'),
    method: fc.constantFrom('GET', 'POST', 'HEAD'),
    status: fc.constantFrom(200, 201, 404, 422, 500),
    // bounds themselves included: a value equal to a bound counts in that bucket
    seconds: fc.oneof(fc.constantFrom(...BUCKETS, 0, 20), fc.double({ min: 0, max: 30, noNaN: true }))
  })
  await fc.assert(fc.asyncProperty(fc.array(observation, { maxLength: 60 }), async (observations) => {
    const ours = new Registry()
    ours.setDefaultLabels({ role: 'api' })
    const durations = new RequestDurations(NAME, 'HTTP requests', BUCKETS)
    durations.registerIn(ours)
    const theirs = new Registry()
    theirs.setDefaultLabels({ role: 'api' })
    const histogram = new Histogram({ name: NAME, help: 'HTTP requests', labelNames: ['method', 'route', 'status'], buckets: BUCKETS, registers: [theirs] })
    // the order series are first seen in is the order both print them
    const recorders = new Map<string, (method: string, status: number, seconds: number) => void>()
    for (const o of observations) {
      let record = recorders.get(o.route)
      if (record === undefined) {
        const hooks: Array<(request: unknown, reply: unknown, done: () => void) => void> = []
        const route = { url: o.route, method: 'GET', handler: () => {}, onResponse: hooks } as never
        durations.onRoute(route)
        const hook = (route as { onResponse: typeof hooks }).onResponse[0] as (
          request: unknown, reply: unknown, done: () => void
        ) => void
        record = (method, status, seconds) => {
          hook({ method }, { statusCode: status, elapsedTime: seconds * 1000 }, () => {})
        }
        recorders.set(o.route, record)
      }
      record(o.method, o.status, o.seconds)
      // what Fastify gives is milliseconds (reply.elapsedTime): both get the same seconds from them
      histogram.observe({ method: o.method, route: o.route, status: String(o.status) }, (o.seconds * 1000) / 1000)
    }
    // Prometheus reads a sample's labels in any order
    const normalised = (text: string): string[] => text.split('\n').map((line) => line.replace(/\{([^}]*)\}/, (_all, labels: string) => `{${labels.split(',').sort().join(',')}}`)).sort()
    const [mine, reference] = [normalised(await ours.metrics()), normalised(await theirs.metrics())]
    if (JSON.stringify(mine) !== JSON.stringify(reference)) {
      t.same(mine, reference)
      return false
    }
    return true
  }), { seed: 20261201, numRuns: 60 })
  t.pass('60 runs of up to 60 observations each printed alike')
})

t.test('over HTTP: a route\'s requests under its template, HEAD once, what no route matched as unmatched, existing hooks kept', async (t) => {
  const registry = new Registry()
  const durations = new RequestDurations(NAME, 'HTTP requests', BUCKETS)
  durations.registerIn(registry)
  const app = Fastify({ logger: false })
  t.teardown(async () => { await app.close() })
  app.addHook('onRoute', durations.onRoute)
  app.addHook('onResponse', durations.onUnmatched)
  let ownHookRan = 0
  app.get('/things/:id', { onResponse: (_request, _reply, done) => { ownHookRan++; done() } }, async () => ({ ok: true }))
  await app.register(async (child) => { child.post('/created', async (_request, reply) => await reply.code(201).send({})) }, { prefix: '/v1' })

  for (const id of ['a1', 'b2']) await app.inject({ method: 'GET', url: `/things/${id}` })
  await app.inject({ method: 'HEAD', url: '/things/c3' })
  await app.inject({ method: 'POST', url: '/v1/created' })
  await app.inject({ method: 'GET', url: '/nowhere/4111111111111111' })
  const text = await registry.metrics()
  const count = (labels: string): number | undefined => {
    const line = text.split('\n').find((l) => l.startsWith(`${NAME}_count{`) && l.includes(labels))
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  t.equal(count('method="GET",route="/things/:id",status="200"'), 2)
  t.equal(count('method="HEAD",route="/things/:id",status="200"'), 1, 'HEAD counted once')
  t.equal(count('method="POST",route="/v1/created",status="201"'), 1, 'with its prefix')
  t.equal(count('method="GET",route="unmatched",status="404"'), 1)
  t.notOk(text.includes('a1') || text.includes('4111'), 'templates, never paths')
  t.equal(ownHookRan, 3, 'a route\'s own onResponse hook still runs')
  t.equal(text.split('\n').filter((l) => l.startsWith(`${NAME}_count{`)).length, 4, 'nothing counted twice')

  durations.reset()
  t.notOk((await registry.metrics()).includes(`${NAME}_count{`), 'reset empties it')
})
