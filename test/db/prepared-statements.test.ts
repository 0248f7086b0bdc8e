import t from 'tap'
import { CompiledQuery } from 'kysely'
import { createDatabase, preparedStatement } from '../../src/db/database.js'
import { createTestDatabase } from '../helpers/app.js'

// One connection, so every statement below runs on the session whose prepared statements are read back.
const handle = createDatabase(await createTestDatabase(t), { max: 1 })
t.teardown(async () => { await handle.close() })

async function preparedTexts (): Promise<string[]> {
  const { rows } = await handle.pool.query<{ statement: string }>('select statement from pg_prepared_statements order by name')
  return rows.map((row) => row.statement)
}

t.test('a registered statement is prepared once on the connection, and its results are the same', async (t) => {
  const text = preparedStatement('select $1::int8 + 1 as next /* prepared-test-1 */')
  t.same(await preparedTexts(), [], 'nothing prepared before the first use')
  const first = await handle.pool.query(text, ['41'])
  const second = await handle.pool.query(text, ['1'])
  t.same([first.rows, second.rows], [[{ next: 42n }], [{ next: 2n }]], 'values bound anew each time, int8 read by our parser')
  t.same(await preparedTexts(), [text], 'one prepared statement on the connection after two runs')
  await handle.pool.query('select 1 as unregistered', [])
  t.same(await preparedTexts(), [text], 'a text never registered runs unnamed')
})

t.test('a statement the query builder runs is prepared too, inside a transaction as outside', async (t) => {
  const text = preparedStatement('select $1::text as echo /* prepared-test-2 */')
  const inside = await handle.db.transaction().execute(async (trx) => await trx.executeQuery<{ echo: string }>(CompiledQuery.raw(text, ['a'])))
  t.same(inside.rows, [{ echo: 'a' }])
  t.ok((await preparedTexts()).includes(text))
})

t.test('a first run that fails to parse leaves the statement runnable once it can be', async (t) => {
  const text = preparedStatement('select count(*)::int as n from prepared_later /* prepared-test-3 */')
  await t.rejects(handle.pool.query(text, []), { code: '42P01' }, 'the table does not exist yet')
  await handle.pool.query('create table prepared_later (x int)')
  t.same((await handle.pool.query(text, [])).rows, [{ n: 0 }], 'parsed again, not taken for prepared')
})
