// Runs autocannon (plain JS, no loader) and prints the figures as one JSON line.
import { readFileSync } from 'node:fs'
import process from 'node:process'
import autocannon from 'autocannon'

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const bodies = input.bodies.map((b) => JSON.stringify(b))
const result = await autocannon({
  url: input.url,
  connections: input.connections,
  duration: input.seconds,
  requests: [{
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    setupRequest: (request) => ({ ...request, body: bodies[Math.floor(Math.random() * bodies.length)] })
  }]
})
process.stdout.write(JSON.stringify({
  requestsPerSecond: result.requests.average,
  p50: result.latency.p50,
  p99: result.latency.p99,
  non2xx: result.non2xx,
  errors: result.errors + result.timeouts,
  total: result.requests.total
}))
