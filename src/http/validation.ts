import { Ajv } from 'ajv'
import addFormatsModule from 'ajv-formats'
import type { FastifyInstance } from 'fastify'
import type { TSchema } from '@sinclair/typebox'

// ajv-formats is CommonJS; under NodeNext its default export is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv

/**
 * Two validators: bodies are validated strictly (no type coercion: `"100"`
 * is not an amount), while params, query and headers arrive as text and are
 * coerced. Neither removes unknown properties: `additionalProperties: false`
 * refuses them with a field path instead of silently dropping them.
 */
export function installValidators (app: FastifyInstance, shared: TSchema[]): void {
  const make = (coerceTypes: boolean | 'array'): Ajv => {
    const ajv = new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: false, strict: false })
    addFormats(ajv)
    for (const schema of shared) ajv.addSchema(schema)
    return ajv
  }
  const bodies = make(false)
  const others = make('array')
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodies : others).compile(schema))
}
