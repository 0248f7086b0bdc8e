// `npm run lint` enforces the module boundaries (docs/architecture.md): this lints the fixtures in test/lint-fixtures,
// which break them on purpose (the project's lint skips that folder), with the project's own configuration.
import t from 'tap'
import { ESLint } from 'eslint'

const eslint = new ESLint({ cwd: process.cwd(), ignore: false })

async function problems (path: string): Promise<Array<{ file: string, line: number, rule: string | null }>> {
  const results = await eslint.lintFiles([path])
  return results.flatMap((result) => result.messages.map((message) => ({
    file: result.filePath.slice(result.filePath.indexOf('test/lint-fixtures/')),
    line: message.line,
    rule: message.ruleId
  })))
}

t.test("another module's repository is an error, and so is SQL outside a repository; the module's own service may use it", async (t) => {
  const found = await problems('test/lint-fixtures/modules')
  t.same(found, [
    { file: 'test/lint-fixtures/modules/other/service.ts', line: 2, rule: 'local/private-repository' },
    { file: 'test/lint-fixtures/modules/other/service.ts', line: 5, rule: 'local/private-repository' },
    { file: 'test/lint-fixtures/modules/other/service.ts', line: 8, rule: 'local/private-repository' },
    { file: 'test/lint-fixtures/modules/other/sql.ts', line: 4, rule: 'no-restricted-syntax' }
  ])
})

t.test('an import cycle is an error', async (t) => {
  const found = await problems('test/lint-fixtures/cycle')
  t.same(found, [
    { file: 'test/lint-fixtures/cycle/first.ts', line: 2, rule: 'import-x/no-cycle' },
    { file: 'test/lint-fixtures/cycle/second.ts', line: 2, rule: 'import-x/no-cycle' }
  ])
})

t.test('the source tree itself keeps the rules', async (t) => {
  const found = (await problems('src')).filter((p) => p.rule === 'local/private-repository' || p.rule === 'import-x/no-cycle' || p.rule === 'no-restricted-syntax')
  t.same(found, [])
})
