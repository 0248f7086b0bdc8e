import t from 'tap'
import { readFileSync } from 'node:fs'
import { generateOpenApi } from '../src/openapi-cli.js'
import { createTestApp } from './helpers/app.js'

type Doc = Record<string, any>
const document = JSON.parse(await generateOpenApi()) as Doc

function resolve (node: Doc | undefined): Doc | undefined {
  if (node?.$ref === undefined) return node
  return document.components.schemas[String(node.$ref).replace('#/components/schemas/', '')]
}

function hasExample (schema: Doc | undefined, depth = 0): boolean {
  const s = resolve(schema)
  if (s === undefined || depth > 4) return false
  if (Array.isArray(s.examples) && s.examples.length > 0) return true
  if (s.items !== undefined && hasExample(s.items, depth + 1)) return true
  return Object.values(s.properties ?? {}).some((p) => hasExample(p as Doc, depth + 1))
}

t.test('the committed openapi/openapi.json is what the code generates', async (t) => {
  const committed = readFileSync(new URL('../openapi/openapi.json', import.meta.url), 'utf8')
  t.equal(committed, JSON.stringify(document, null, 2) + '\n', 'run `npm run openapi` after changing a route or schema')
})

t.test('every operation is documented for the developers who integrate', async (t) => {
  t.equal(document.openapi, '3.1.0')
  const ids = new Set<string>()
  for (const [path, item] of Object.entries(document.paths as Doc)) {
    for (const [method, op] of Object.entries(item as Doc) as Array<[string, Doc]>) {
      const name = `${method.toUpperCase()} ${path}`
      t.match(op, { operationId: String, summary: String, description: String, tags: [String] }, name)
      t.notOk(ids.has(op.operationId), `${name}: unique operationId`)
      ids.add(op.operationId)
      t.ok(Array.isArray(op.security), `${name}: declares its security`)
      const responses = Object.entries(op.responses as Doc)
      const success = responses.filter(([status]) => status.startsWith('2'))
      t.ok(success.length > 0, `${name}: a success response`)
      if (path.startsWith('/v1')) {
        const problems = responses.filter(([status]) => /^[45]/.test(status))
        t.ok(problems.some(([status]) => status.startsWith('4')), `${name}: documents its client errors`)
        for (const [status, response] of problems) {
          t.ok((response as Doc).content?.['application/problem+json'], `${name} ${status}: problem+json`)
        }
        const body = Object.values(op.requestBody?.content ?? {})[0] as Doc | undefined
        const mediaExample = (media: Doc | undefined): boolean => media?.example !== undefined || media?.examples !== undefined || hasExample(media?.schema)
        const examples = success.some(([, r]) => Object.values((r as Doc).content ?? {}).some((media) => mediaExample(media as Doc))) || mediaExample(body)
        t.ok(examples, `${name}: has examples`)
      }
    }
  }
  for (const shared of ['Problem', 'Money', 'FieldError']) t.ok(document.components.schemas[shared], `shared component ${shared}`)
})

t.test('the running service serves the document and the docs page', async (t) => {
  const { app } = await createTestApp(t)
  const served = await app.inject({ method: 'GET', url: '/openapi.json' })
  t.equal(served.statusCode, 200)
  t.same(served.json().paths, document.paths)
  const docs = await app.inject({ method: 'GET', url: '/docs/' })
  t.equal(docs.statusCode, 200)
  t.match(docs.body, /swagger-ui/i)
})
