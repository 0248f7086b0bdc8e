/**
 * One validator configuration for the whole application, children
 * included: it is installed as Fastify's validator *factory*, so a plugin
 * that calls `addSchema` (and so gets a schema context of its own) still
 * validates with these rules and never with Fastify's default Ajv, which
 * coerces types.
 *
 * The rules:
 * - No type coercion anywhere. A JSON body's `"100"` is not an amount and
 *   `"true"` is not consent.
 * - Query strings, path parameters and headers are text on the wire. A
 *   field their schema declares integer or boolean is read from its text by
 *   one strict grammar (`^-?(0|[1-9][0-9]*)$` within the safe-integer range,
 *   `true`/`false`); anything else stays text and fails the schema.
 * - No string anywhere holds U+0000, and every number is finite and a safe
 *   integer when it is integral: Postgres refuses NUL in text, and
 *   `1e309` parses to Infinity, which JSON Schema's `integer` lets through.
 * - `format: "uri"` is the WHATWG URL parser, the one every later use of a
 *   URL goes through, so what passes validation also parses there.
 * - `format: "ip-or-cidr"`: an address or a CIDR (lib/ip.ts parseAddressRange).
 * - Unknown properties are refused (`additionalProperties: false` in the
 *   schemas), never silently removed.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import type { FastifySchema, FastifySchemaCompiler } from 'fastify'
import { isParsedContainer, isStream, MAX_NESTING, MAX_VALUES, ValueBudget } from '../lib/request-data.js'
import { CompiledCache, schemaText } from './compiled-schemas.js'
import { parseAddressRange } from '../lib/ip.js'

// ajv-formats is CommonJS; under NodeNext its default export is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv

type JsonSchema = Record<string, unknown>
type Validator = ((data: unknown) => boolean | { value: unknown }) & { errors?: ErrorObject[] | null }

const INTEGER_TEXT = /^-?(0|[1-9][0-9]*)$/

function webUrl (text: string): boolean {
  return URL.canParse(text)
}

function makeAjv (externalSchemas: Record<string, unknown>): Ajv {
  const ajv = new Ajv({
    coerceTypes: false,
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
    strict: false
  })
  addFormats(ajv)
  ajv.addFormat('uri', { type: 'string', validate: webUrl })
  // an address or a CIDR, as an allowlist holds them (an API key's allowedIps)
  ajv.addFormat('ip-or-cidr', { type: 'string', validate: (text: string) => parseAddressRange(text) !== null })
  for (const schema of Object.values(externalSchemas)) ajv.addSchema(schema as JsonSchema)
  return ajv
}

function error (instancePath: string, keyword: string, message: string): ErrorObject {
  return { instancePath, schemaPath: '#', keyword, params: {}, message }
}

function pointer (path: string, key: string | number): string {
  return `${path}/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`
}

/**
 * The first NUL, non-finite or unsafe number anywhere in a value, as an Ajv-style error; also anything that is not
 * parsed data, nests deeper than MAX_NESTING or holds more than MAX_VALUES values (lib/request-data.ts).
 */
export function findUnsafeValue (value: unknown, path = ''): ErrorObject | null {
  const found = unsafeAt(value, 0, new ValueBudget())
  if (found === null) return null
  // the pointer is built only for the value refused: a clean body (every request) allocates no path strings
  return error(found.keys.reduceRight<string>((at, key) => pointer(at, key), path), found.keyword, found.message)
}

interface Unsafe { keys: Array<string | number>, keyword: string, message: string }

const NOT_PARSED: Unsafe = { keys: [], keyword: 'type', message: 'must be JSON data' }

/** The unsafe value's keys come back innermost first. */
function unsafeAt (value: unknown, depth: number, budget: ValueBudget): Unsafe | null {
  if (!budget.take()) return { keys: [], keyword: 'maxValues', message: `must hold at most ${MAX_VALUES} values` }
  if (typeof value === 'string') return value.includes('\u0000') ? { keys: [], keyword: 'nul', message: 'must not contain the NUL character (U+0000)' } : null
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { keys: [], keyword: 'finite', message: 'must be a finite number' }
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) return { keys: [], keyword: 'safeInteger', message: `must be between -${Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}` }
    return null
  }
  if (typeof value === 'function') return { ...NOT_PARSED, keys: [] }
  if (typeof value !== 'object' || value === null) return null
  if (!isParsedContainer(value)) return { ...NOT_PARSED, keys: [] }
  if (depth >= MAX_NESTING) {
    return { keys: [], keyword: 'maxNesting', message: `must not nest deeper than ${MAX_NESTING} levels` }
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unsafeAt(value[i], depth + 1, budget)
      if (found !== null) { found.keys.push(i); return found }
    }
    return null
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue
    if (key.includes('\u0000')) return { keys: [key.replaceAll('\u0000', '\\u0000')], keyword: 'nul', message: 'a property name must not contain the NUL character (U+0000)' }
    const found = unsafeAt((value as Record<string, unknown>)[key], depth + 1, budget)
    if (found !== null) { found.keys.push(key); return found }
  }
  return null
}

function declaredTypes (schema: JsonSchema | undefined): Set<string> {
  const types = new Set<string>()
  if (schema === undefined) return types
  const type = schema.type
  if (typeof type === 'string') types.add(type)
  if (Array.isArray(type)) for (const t of type) types.add(String(t))
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = schema[key]
    if (Array.isArray(branches)) {
      for (const branch of branches) for (const t of declaredTypes(branch as JsonSchema)) types.add(t)
    }
  }
  return types
}

/** One text value read by the strict grammar of its declared type; unchanged when it does not fit. */
function readText (text: string, types: Set<string>): unknown {
  if (types.has('string')) return text
  if ((types.has('integer') || types.has('number')) && INTEGER_TEXT.test(text)) {
    const number = Number(text)
    if (Number.isSafeInteger(number)) return number
  }
  if (types.has('boolean') && (text === 'true' || text === 'false')) return text === 'true'
  return text
}

/** Each property's declared types, read once from the schema when its validator is built. */
function propertyTypes (schema: JsonSchema): Map<string, Set<string>> {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>
  return new Map(Object.entries(properties).map(([name, property]) => [name, declaredTypes(property)]))
}

const NO_TYPES = new Set<string>()

/** Query, params and headers: text read per the schema's declared types, never Ajv's coercion. */
function readTextPart (types: Map<string, Set<string>>, data: unknown): unknown {
  if (typeof data !== 'object' || data === null) return data
  let out: Record<string, unknown> | null = null
  for (const [name, value] of Object.entries(data)) {
    if (typeof value !== 'string') continue
    const read = readText(value, types.get(name) ?? NO_TYPES)
    if (read === value) continue
    out ??= { ...(data as Record<string, unknown>) }
    out[name] = read
  }
  return out ?? data
}

/**
 * Fastify's `schemaController.compilersFactory.buildValidator`: called for
 * the root and for every plugin context that adds schemas of its own.
 */
/**
 * A body declared `{type: 'string', format: 'binary'}` is a raw body the route streams itself (the portfolio
 * import): its parser, on that route alone, hands over the request stream, which is not data to walk or validate.
 * The validator only checks that the stream is what arrived.
 */
function isRawBody (schema: JsonSchema, httpPart: string | undefined): boolean {
  return httpPart === 'body' && schema.type === 'string' && schema.format === 'binary'
}

function rawBodyValidator (): Validator {
  const validator: Validator = (data: unknown) => {
    const ok = isStream(data)
    validator.errors = ok ? null : [error('', 'type', 'must be the request body itself')]
    return ok
  }
  return validator
}

/** Validators by shared schemas, part and schema, for every app of the process (http/compiled-schemas.ts). */
const validators = new CompiledCache<Validator>()

export function buildValidator (externalSchemas: Record<string, unknown> = {}): FastifySchemaCompiler<FastifySchema> {
  // the Ajv instance is made only when a schema is not compiled yet
  let ajv: Ajv | null = null
  const context = schemaText(externalSchemas)
  return ({ schema, httpPart }) => {
    if (isRawBody(schema as JsonSchema, httpPart)) return rawBodyValidator()
    return validators.get(`${context}\n${String(httpPart)}\n${schemaText(schema)}`, () => {
      ajv ??= makeAjv(externalSchemas)
      return compileValidator(ajv, schema as JsonSchema, httpPart)
    })
  }
}

function compileValidator (ajv: Ajv, schema: JsonSchema, httpPart: string | undefined): Validator {
    const compiled: ValidateFunction = ajv.compile(schema)
    const types = httpPart === 'body' ? null : propertyTypes(schema as JsonSchema)
    const validator: Validator = (data: unknown) => {
      const value = types === null ? data : readTextPart(types, data)
      const unsafe = findUnsafeValue(value)
      if (unsafe !== null) {
        validator.errors = [unsafe]
        return false
      }
      if (!compiled(value)) {
        validator.errors = compiled.errors
        return false
      }
      validator.errors = null
      // a part read from text is a new object; anything else was checked (and defaulted) in place
      return value === data ? true : { value }
    }
    return validator
}
