import SerializerSelector from '@fastify/fast-json-stringify-compiler'
import { CompiledCache, schemaText } from './compiled-schemas.js'

type Factory = SerializerSelector.SerializerFactory
type Serializer = SerializerSelector.Serializer

/** Serializers by shared schemas, options and schema, for every app of the process (http/compiled-schemas.ts). */
const serializers = new CompiledCache<Serializer>()

/**
 * Fastify's `schemaController.compilersFactory.buildSerializer`: Fastify's own (fast-json-stringify through
 * @fastify/fast-json-stringify-compiler, the one it installs when none is given), with what it compiles kept for the
 * next app of the process. A response is written exactly as before.
 */
export const buildSerializer: Factory = (externalSchemas = {}, serializerOpts = {}) => {
  const compile = SerializerSelector()(externalSchemas, serializerOpts)
  const context = `${schemaText(externalSchemas)}\n${schemaText(serializerOpts)}`
  return (route) => serializers.get(`${context}\n${schemaText(route.schema)}`, () => compile(route))
}
