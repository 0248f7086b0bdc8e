// The test processes' transpiler (test/support/cached-transpiler.cjs, tsconfig.json's "ts-node"."transpiler") must
// give exactly what ts-node's own transpile-only path gives, or coverage and source maps would drift; and a second
// process must read it back instead of transpiling again.
import t from 'tap'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import ts from 'typescript'

const require = createRequire(import.meta.url)
const { create } = require('./cached-transpiler.cjs') as {
  create: (options: unknown) => { transpile: (code: string, options: { fileName: string }) => unknown }
}
const tsNode = dirname(require.resolve('@isaacs/ts-node-temp-fork-for-pr-2009/package.json'))
const { createTsTranspileModule } = require(join(tsNode, 'dist', 'ts-transpile-module.js')) as {
  createTsTranspileModule: (typescript: typeof ts, options: object) =>
  (code: string, options: { fileName: string }, kind: string) => { outputText: string, sourceMapText?: string }
}

t.test("the cached transpiler's output is ts-node's own, byte for byte, and is read back from the cache", async (t) => {
  const compilerOptions = {
    module: ts.ModuleKind.NodeNext, target: ts.ScriptTarget.ES2022, sourceMap: true, inlineSources: true, strict: true
  }
  const fileName = join(process.cwd(), 'src', 'lib', 'money.ts')
  const code = readFileSync(fileName, 'utf8')
  const cacheDirectory = mkdtempSync(join(tmpdir(), 'transpile-cache-'))
  t.teardown(() => { rmSync(cacheDirectory, { recursive: true, force: true }) })
  const expected = createTsTranspileModule(ts, { compilerOptions, reportDiagnostics: true })(code, { fileName }, 'module')
  const output = { outputText: expected.outputText, sourceMapText: expected.sourceMapText }
  const transpilerOf = (options: object, kind?: string) =>
    create({ service: { config: { options } }, nodeModuleEmitKind: kind, cacheDirectory })

  t.same(transpilerOf(compilerOptions, 'nodeesm').transpile(code, { fileName }), output)
  t.equal(readdirSync(cacheDirectory).length, 1, 'stored once')
  // what a second process gets is the stored entry, not a new transpile: mark the entry and see the mark come back
  const [entry] = readdirSync(cacheDirectory) as [string]
  writeFileSync(join(cacheDirectory, entry), JSON.stringify({ outputText: 'stored', sourceMapText: 'map' }))
  t.same(transpilerOf(compilerOptions, 'nodeesm').transpile(code, { fileName }), { outputText: 'stored', sourceMapText: 'map' })
  t.equal(readdirSync(cacheDirectory).length, 1, 'and transpiles nothing')
  transpilerOf({ ...compilerOptions, target: ts.ScriptTarget.ES2020 }, 'nodeesm').transpile(code, { fileName })
  t.equal(readdirSync(cacheDirectory).length, 2, 'other options are another entry, never the same one')
})
