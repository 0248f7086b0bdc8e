// A ts-node transpiler (tsconfig.json's "ts-node"."transpiler") for the test processes: exactly ts-node's own
// transpile-only output (the same TypeScript call with the same options), kept on disk by the hash of everything
// that decides it. Every test file is its own process, and each one transpiled the same ~250 modules again: about
// 4 of its 7 CPU-seconds of start-up. Output is identical, so coverage (line structure, source maps) is too.
'use strict'
const { createHash } = require('node:crypto')
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs')
const { dirname, join } = require('node:path')

exports.create = function create ({ service, nodeModuleEmitKind, cacheDirectory }) {
  const ts = require('typescript')
  // ts-node's own transpile function: its package does not export the file, so it is required by path
  const tsNode = dirname(require.resolve('@isaacs/ts-node-temp-fork-for-pr-2009/package.json'))
  const { createTsTranspileModule } = require(join(tsNode, 'dist', 'ts-transpile-module.js'))
  const compilerOptions = service.config.options
  const transpileModule = createTsTranspileModule(ts, { compilerOptions, reportDiagnostics: true })
  const moduleKind = nodeModuleEmitKind === 'nodeesm' ? 'module' : 'commonjs'
  const dir = cacheDirectory ?? join(__dirname, '..', '..', 'node_modules', '.cache', 'test-transpile')
  mkdirSync(dir, { recursive: true })
  const settings = JSON.stringify([ts.version, compilerOptions, nodeModuleEmitKind ?? null])
  return {
    transpile (code, { fileName }) {
      const key = createHash('sha256').update(settings).update('\0').update(fileName).update('\0').update(code)
        .digest('hex')
      const file = join(dir, `${key}.json`)
      try {
        return JSON.parse(readFileSync(file, 'utf8'))
      } catch {
        // not transpiled yet (or a torn read): transpile and store
      }
      const result = transpileModule(code, { fileName }, moduleKind)
      if (result.diagnostics !== undefined && result.diagnostics.length > 0) return result
      const output = { outputText: result.outputText, sourceMapText: result.sourceMapText }
      const temporary = `${file}.${process.pid}`
      writeFileSync(temporary, JSON.stringify(output))
      renameSync(temporary, file)
      return output
    }
  }
}
