// `npm run lint` enforces the module boundaries (docs/architecture.md): this lints the fixtures in test/lint-fixtures,
// which break them on purpose (the project's lint skips that folder), with the project's own configuration.
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import t from 'tap'
import { ESLint } from 'eslint'
import { RANKS } from '../eslint-rules/layers.js'

const eslint = new ESLint({ cwd: process.cwd(), ignore: false })

async function problems (path: string): Promise<Array<{ file: string, line: number, rule: string | null }>> {
  const results = await eslint.lintFiles([path])
  return results.flatMap((result) => result.messages.map((message) => ({
    file: relative(process.cwd(), result.filePath),
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

t.test('folders depend one way: an import up the rank table is an error, a type-only one too, but for db/types.ts', async (t) => {
  const found = await problems('test/lint-fixtures/layers')
  t.same(found.filter((p) => p.rule === 'layers/folder-order'), [
    // lib importing a module's table types: type-only imports count
    { file: 'test/lint-fixtures/layers/lib/money.ts', line: 2, rule: 'layers/folder-order' },
    // the ledger calling payments, a higher rank
    { file: 'test/lint-fixtures/layers/modules/ledger/service.ts', line: 3, rule: 'layers/folder-order' },
    // a folder the table does not place
    { file: 'test/lint-fixtures/layers/widgets/gadget.ts', line: 2, rule: 'layers/folder-order' }
  ])
})

t.test('a table is written and locked only by its owner, and read by another folder only from a higher rank', async (t) => {
  const found = await problems('test/lint-fixtures/layers')
  t.same(found.filter((p) => p.rule === 'layers/table-owner'), [
    // audit ranks with the ledger: raw SQL read, sql.table() read, builder read
    { file: 'test/lint-fixtures/layers/modules/audit/repository.ts', line: 5, rule: 'layers/table-owner' },
    { file: 'test/lint-fixtures/layers/modules/audit/repository.ts', line: 6, rule: 'layers/table-owner' },
    { file: 'test/lint-fixtures/layers/modules/audit/repository.ts', line: 7, rule: 'layers/table-owner' },
    // reports ranks above the ledger and reads it (lines 6 and 7 pass), but a raw write, a builder write, a builder
    // lock and a raw lock are the owner's
    { file: 'test/lint-fixtures/layers/modules/reports/repository.ts', line: 8, rule: 'layers/table-owner' },
    { file: 'test/lint-fixtures/layers/modules/reports/repository.ts', line: 9, rule: 'layers/table-owner' },
    { file: 'test/lint-fixtures/layers/modules/reports/repository.ts', line: 10, rule: 'layers/table-owner' },
    { file: 'test/lint-fixtures/layers/modules/reports/repository.ts', line: 11, rule: 'layers/table-owner' }
  ])
  t.same(found.filter((p) => p.rule !== 'layers/folder-order' && p.rule !== 'layers/table-owner'), [], 'nothing else')
})

t.test('a line over 120 characters is an error, a comment too, but not one holding a string literal or a URL', async (t) => {
  const found = await problems('test/lint-fixtures/lines')
  t.same(found, [
    // code, then a comment
    { file: 'test/lint-fixtures/lines/long.ts', line: 5, rule: 'max-len' },
    { file: 'test/lint-fixtures/lines/long.ts', line: 6, rule: 'max-len' }
  ])
})

t.test('the source tree itself keeps the rules', async (t) => {
  const rules = [
    'local/private-repository', 'import-x/no-cycle', 'no-restricted-syntax', 'layers/folder-order', 'layers/table-owner',
    'max-len'
  ]
  const found = (await problems('src')).filter((p) => rules.includes(p.rule ?? ''))
  t.same(found, [])
})

t.test('docs/architecture.md draws the rank table the lint enforces', async (t) => {
  const doc = readFileSync('docs/architecture.md', 'utf8')
  const layers = doc.slice(doc.indexOf('## Layers'), doc.indexOf('\n## ', doc.indexOf('## Layers') + 1))
  const rows = new Map([...layers.matchAll(/^\| (\d+) \| ([^|]+) \|/gm)].map((m) => [Number(m[1]), m[2] ?? '']))
  t.equal(rows.size, RANKS.length, 'one row per rank')
  RANKS.forEach((entries: string[], rank: number) => {
    for (const entry of entries) {
      t.ok(rows.get(rank)?.includes(`\`${entry.replace(/^modules\//, '')}\``), `${entry} at rank ${rank}`)
    }
  })
})
