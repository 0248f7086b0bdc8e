import t from 'tap'
import Fastify from 'fastify'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import {
  DOMAIN_ERROR_CODES, DomainError, databaseUnavailable, type DomainErrorCode, type DomainFacts, type FieldError
} from '../../src/lib/errors.js'
import { AppError, fromDomainError, problemOf, registerErrorHandling } from '../../src/http/errors.js'
import { PROBLEM_CODES } from '../../src/http/problem-codes.js'

/**
 * A module's DomainError carries a code and facts, no status: the HTTP edge answers it with its code's row of
 * PROBLEM_CODES. Each is answered byte for byte as the AppError the module threw before (status and title named by
 * its class), and a code with no row is a plain 500.
 */

// the title each AppError class gave its status, before modules threw DomainError
const TITLE_BEFORE: Record<number, string> = {
  401: 'Unauthenticated',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  413: 'Payload too large',
  415: 'Unsupported media type',
  422: 'Unprocessable content',
  429: 'Too many requests',
  502: 'Bad gateway',
  503: 'Service unavailable'
}

interface Row { status: number, extra?: Record<string, unknown> }
const rowOf = (code: string): Row => (PROBLEM_CODES as Record<string, Row>)[code] as Row

/** A refusal with the code's example facts and field errors, as a module would throw it. */
function refusal (code: DomainErrorCode): { detail: string, facts: DomainFacts, errors: FieldError[] | undefined } {
  const { errors, ...facts } = (rowOf(code).extra ?? {}) as { errors?: FieldError[] } & DomainFacts
  return { detail: `The detail of ${code}, as the module words it`, facts, errors }
}

const app = Fastify({ genReqId: () => 'b9c3e0f4-2d7a-4c1e-9a55-0f3d2b7c8e61' })
registerErrorHandling(app)
app.get('/domain/:code', async (request) => {
  const code = (request.params as { code: DomainErrorCode }).code
  const { detail, facts, errors } = refusal(code)
  throw new DomainError(code, detail, { facts, errors })
})
app.get('/before/:code', async (request) => {
  const code = (request.params as { code: DomainErrorCode }).code
  const { detail, facts, errors } = refusal(code)
  const status = rowOf(code).status
  throw new AppError(status, code, TITLE_BEFORE[status] as string, detail, facts, errors)
})
app.get('/unknown', async () => {
  throw new DomainError('no_such_code' as DomainErrorCode, 'Row 7 of debts_staging holds 4400430212345678')
})
app.get('/database', async () => { throw databaseUnavailable() })
t.teardown(() => app.close())

t.test('every domain code has its row, and a status the AppError classes knew', async (t) => {
  for (const code of DOMAIN_ERROR_CODES) t.ok(TITLE_BEFORE[rowOf(code).status], `${code}: ${rowOf(code).status}`)
})

t.test('a DomainError of each code is answered exactly as the AppError of its status was', async (t) => {
  for (const code of DOMAIN_ERROR_CODES) {
    const now = await app.inject({ method: 'GET', url: `/domain/${code}` })
    const before = await app.inject({ method: 'GET', url: `/before/${code}` })
    const { status } = rowOf(code)
    t.equal(now.statusCode, status, `${code}: ${status}`)
    t.equal(now.body, before.body, `${code}: the same body, byte for byte`)
    const { date: _a, ...headers } = now.headers
    const { date: _b, ...headersBefore } = before.headers
    t.same(headers, headersBefore, `${code}: the same headers`)
  }
})

t.test('the problem document: status, title and type of the code; the detail, field errors, then facts', async (t) => {
  const error = new DomainError('amount_below_minimum', 'The minimum payment is 10000 tiyn', {
    facts: { minimumAmount: 10000 }, errors: [{ path: 'body.amount', message: 'must be at least 10000' }]
  })
  const problem = fromDomainError(error)
  t.ok(problem)
  const body = problemOf(problem as AppError, 'request-1')
  t.same(Object.keys(body), ['type', 'title', 'status', 'detail', 'code', 'errors', 'minimumAmount', 'requestId'])
  t.same(body, {
    type: 'https://docs.explus.kz/problems/amount_below_minimum',
    title: 'Unprocessable content',
    status: 422,
    detail: 'The minimum payment is 10000 tiyn',
    code: 'amount_below_minimum',
    errors: [{ path: 'body.amount', message: 'must be at least 10000' }],
    minimumAmount: 10000,
    requestId: 'request-1'
  })
  const plain = fromDomainError(new DomainError('payment_not_found', 'No payment with this id')) as AppError
  t.same(Object.keys(problemOf(plain, '1')), ['type', 'title', 'status', 'detail', 'code', 'requestId'],
    'without field errors or facts, neither is in the body')
})

t.test('retryAfterSeconds is the Retry-After header of a 429 or a 503', async (t) => {
  for (const [code, seconds] of [['import_busy', 30], ['rate_limited', 42], ['migrations_pending', 5]] as const) {
    const response = await app.inject({ method: 'GET', url: `/domain/${code}` })
    t.equal(response.headers['retry-after'], String(seconds), code)
    t.equal(response.json().retryAfterSeconds, seconds, `${code}: in the body too`)
  }
  const database = await app.inject({ method: 'GET', url: '/database' })
  t.equal(database.statusCode, 503)
  t.equal(database.headers['retry-after'], '5')
  t.match(database.json(), { code: 'database_unavailable', title: 'Сервис недоступен', retryAfterSeconds: 5 })
  const other = await app.inject({ method: 'GET', url: '/domain/payment_not_found' })
  t.equal(other.headers['retry-after'], undefined, 'not on other answers')
})

t.test('a refusal of a body still arriving closes the connection, as before', async (t) => {
  for (const code of ['payload_too_large', 'unsupported_media_type'] as const) {
    const response = await app.inject({ method: 'GET', url: `/domain/${code}` })
    t.equal(response.headers.connection, 'close', code)
  }
})

t.test('a code with no row does not compile, and is answered as a 500 that says nothing of it', async (t) => {
  // @ts-expect-error a code missing from PROBLEM_CODES is refused by the compiler
  const refused = (): DomainError => new DomainError('no_such_code', 'x')
  t.type(refused, 'function')
  t.equal(fromDomainError(new DomainError('no_such_code' as DomainErrorCode, 'x')), undefined)
  const response = await app.inject({ method: 'GET', url: '/unknown' })
  t.equal(response.statusCode, 500)
  t.match(response.json(), { code: 'internal_error', title: 'Внутренняя ошибка сервера', status: 500 })
  t.notMatch(response.body, /no_such_code|debts_staging|4400/, 'neither the code nor the detail leaks')
})

t.test('no module, bank, lib, db or jobs file imports the HTTP edge\'s errors', async (t) => {
  const SRC = new URL('../../src/', import.meta.url).pathname
  const files = (dir: string): string[] => readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : []
  })
  const below = ['modules', 'bank', 'lib', 'db', 'jobs'].flatMap((dir) => files(join(SRC, dir)))
  t.ok(below.length > 100, `files read (${below.length})`)
  const importers = below.filter((path) => /\/http\/errors\.js'/.test(readFileSync(path, 'utf8')))
    .map((path) => relative(SRC, path))
  t.same(importers, [], 'they throw DomainError (src/lib/errors.ts)')
})
