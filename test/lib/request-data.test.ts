import t from 'tap'
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { findUnsafeValue, buildValidator } from '../../src/http/validation.js'
import { containsCardNumber } from '../../src/lib/card-data.js'
import { isParsedContainer, MAX_NESTING, MAX_VALUES } from '../../src/lib/request-data.js'

/**
 * Every walk over a request's data looks into parsed data only, within a depth and a size bound (DESIGN 22). The
 * validator's safety scan once met the request stream itself (a raw-body parser on a plugin that held JSON routes)
 * and followed the socket, the server and all they reach until the process was stopped: here each walk is handed a
 * real request stream, and each answers.
 */
const CARD = '4111111111111111'

/** A live IncomingMessage with its socket and server: the cyclic, deep object graph a raw-body parser hands over. */
async function liveRequest (): Promise<{ message: IncomingMessage, close: () => Promise<void> }> {
  let resolveMessage: (message: IncomingMessage) => void = () => {}
  const arrived = new Promise<IncomingMessage>((resolve) => { resolveMessage = resolve })
  const server = createServer((message) => { resolveMessage(message) })
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  const client = httpRequest({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', method: 'POST', headers: { 'content-type': 'text/csv' } })
  client.on('error', () => {})
  client.write('x')
  const message = await arrived
  return {
    message,
    close: async () => {
      client.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
    }
  }
}

t.test('a request stream is not data: the validator refuses it, the card guard does not walk it', async (t) => {
  const { message, close } = await liveRequest()
  t.teardown(close)
  t.notOk(isParsedContainer(message))
  t.match(findUnsafeValue(message, '/body'), { instancePath: '/body', keyword: 'type', message: 'must be JSON data' })
  t.equal(containsCardNumber({ body: message }), false, 'the guard returns at once; the validator refuses the body')
  const validate = buildValidator()({ schema: { type: 'object', properties: { iin: { type: 'string' } } }, httpPart: 'body', method: 'POST', url: '/x' } as never) as unknown as (data: unknown) => boolean
  t.equal(validate(message), false, 'a JSON route\'s validator refuses a stream')
  const raw = buildValidator()({ schema: { type: 'string', format: 'binary' }, httpPart: 'body', method: 'POST', url: '/x' } as never) as unknown as (data: unknown) => boolean
  t.equal(raw(message), true, 'a body declared binary is the stream itself, never walked')
  t.equal(raw({ rows: [] }), false, 'and only the stream')
})

t.test('parsed data is what the parsers make', async (t) => {
  t.ok(isParsedContainer({}))
  t.ok(isParsedContainer([]))
  t.ok(isParsedContainer(Object.create(null) as object))
  // the query-string parser's and the router's dictionaries: a constructor whose prototype has no prototype
  function Dictionary (): void {}
  Dictionary.prototype = Object.create(null) as object
  t.ok(isParsedContainer(new (Dictionary as unknown as new () => object)()))
  t.notOk(isParsedContainer(Buffer.from('x')))
  t.notOk(isParsedContainer(new Map()))
  t.notOk(isParsedContainer(new (class Thing {})()))
})

function nested (levels: number, leaf: unknown): unknown {
  let value = leaf
  for (let i = 0; i < levels; i++) value = [value]
  return value
}

t.test('nesting is bounded', async (t) => {
  t.equal(findUnsafeValue(nested(MAX_NESTING, 'x')), null, `${MAX_NESTING} levels are data`)
  t.match(findUnsafeValue(nested(MAX_NESTING + 1, 'x')), { keyword: 'maxNesting' })
  t.match(findUnsafeValue(nested(100_000, 'x')), { keyword: 'maxNesting' }, 'a hundred thousand levels answer at once, without the stack')
  t.equal(containsCardNumber(nested(MAX_NESTING, CARD)), true, 'a card as deep as data goes is found')
  t.equal(containsCardNumber(nested(MAX_NESTING + 1, CARD)), false, 'deeper, the validator refuses the request instead')
  // a cycle cannot come from a parser; the depth bound ends it all the same
  const cyclic: Record<string, unknown> = {}
  cyclic.self = cyclic
  t.match(findUnsafeValue(cyclic), { keyword: 'maxNesting' })
  t.equal(containsCardNumber(cyclic), false)
})

t.test('the number of values is bounded', async (t) => {
  t.equal(findUnsafeValue(Array.from({ length: MAX_VALUES - 1 }, () => 1)), null, 'as many values as data may hold')
  t.match(findUnsafeValue(Array.from({ length: MAX_VALUES }, () => 1)), { keyword: 'maxValues', message: `must hold at most ${MAX_VALUES} values` })
  const wide: unknown[] = Array.from({ length: MAX_VALUES + 10 }, () => [0])
  wide.push([CARD])
  t.equal(containsCardNumber(wide), false, 'past the bound the guard stops; the validator refuses the request')
  t.equal(containsCardNumber([...Array.from({ length: 100 }, () => [0]), [CARD]]), true, 'within it, every value is looked at')
})
