/**
 * Compiled validators and serializers, shared by every app this process builds.
 *
 * Fastify compiles each route's request validators (Ajv, http/validation.ts) and response serializers
 * (fast-json-stringify) when the app gets ready: about three seconds of CPU for this API's schemas. A deployed
 * process builds its app once and pays that once. A process that builds many apps from the same code (a test file
 * builds one per test) paid it every time. What a schema compiles to depends only on the schema, the shared schemas
 * it may reference and the compiler's options, so the compiled function is kept under exactly those, as text, and
 * the next app with the same schemas gets the same function.
 *
 * Sharing is safe: a validator or serializer holds no per-app state (a validator's `errors` is written and read in
 * one synchronous step of one request, as within one app). The cache is bounded: the schemas are the code's, a fixed
 * set; should something ever build them without end, the oldest entries go first.
 */

/** Entries at most: about ten times the compiled functions one app holds. */
export const COMPILED_LIMIT = 4000

const texts = new WeakMap<object, string>()

/**
 * A schema as the text a compiler sees: JSON keeps every keyword and value Ajv and fast-json-stringify read (and
 * drops TypeBox's symbol keys, which neither reads). Remembered per object: route schemas are module constants.
 */
export function schemaText (schema: unknown): string {
  if (typeof schema !== 'object' || schema === null) return JSON.stringify(schema) ?? 'undefined'
  let text = texts.get(schema)
  if (text === undefined) {
    text = JSON.stringify(schema)
    texts.set(schema, text)
  }
  return text
}

export class CompiledCache<F> {
  readonly #entries = new Map<string, F>()
  constructor (readonly limit = COMPILED_LIMIT) {}

  get size (): number { return this.#entries.size }

  /** The function compiled for `key`, compiling it the first time. */
  get (key: string, compile: () => F): F {
    const found = this.#entries.get(key)
    if (found !== undefined) return found
    const compiled = compile()
    if (this.#entries.size >= this.limit) {
      const oldest = this.#entries.keys().next()
      if (oldest.done !== true) this.#entries.delete(oldest.value)
    }
    this.#entries.set(key, compiled)
    return compiled
  }
}
