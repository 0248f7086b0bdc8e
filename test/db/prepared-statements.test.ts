import t from 'tap'
import { CompiledQuery } from 'kysely'
import { createDatabase } from '../../src/db/database.js'
import { createTestDatabase } from '../helpers/app.js'

// One connection, so every statement below runs on the session whose prepared statements are read back.
const handle = createDatabase(await createTestDatabase(t), { max: 1 })
t.teardown(async () => { await handle.close() })

async function preparedTexts (): Promise<string[]> {
  const { rows } = await handle.pool.query<{ statement: string }>('select statement from pg_prepared_statements order by prepare_time')
  return rows.map((row) => row.statement)
}

t.test('a statement with parameters and named result columns is prepared once on the connection', async (t) => {
  const text = 'select $1::int8 + 1 as next /* prepared-test-1 */'
  const before = await preparedTexts()
  const first = await handle.pool.query(text, ['41'])
  const second = await handle.pool.query(text, ['1'])
  t.same([first.rows, second.rows], [[{ next: 42n }], [{ next: 2n }]], 'values bound anew each time, int8 read by our parser')
  t.same(await preparedTexts(), [...before, text], 'one prepared statement on the connection after two runs')
  const inside = await handle.db.transaction().execute(async (trx) => await trx.executeQuery<{ echo: string }>(CompiledQuery.raw('select $1::text as echo /* prepared-test-2 */', ['a'])))
  t.same(inside.rows, [{ echo: 'a' }], 'through the query builder, in a transaction')
  t.ok((await preparedTexts()).includes('select $1::text as echo /* prepared-test-2 */'))
})

t.test('what could change shape under a migration, or has no parameters, or is too big, runs unnamed', async (t) => {
  await handle.pool.query('create table prepared_shapes (id int primary key, label text)')
  const before = await preparedTexts()
  await handle.pool.query('select 1 as no_parameters', [])
  await handle.pool.query('select * from prepared_shapes where id = $1', [1])
  await handle.pool.query('select prepared_shapes.* from prepared_shapes where id = $1', [1])
  await handle.pool.query('insert into prepared_shapes (id, label) values ($1, $2) returning *', [1, 'a'])
  const many = Array.from({ length: 65 }, (_, i) => `$${i + 1}::int`).join(' + ')
  await handle.pool.query(`select ${many} as total`, Array.from({ length: 65 }, () => 1))
  t.same(await preparedTexts(), before, 'none of them prepared')
  await handle.pool.query('select count(*)::int as n from prepared_shapes where id = $1', [1])
  t.same((await preparedTexts()).length, before.length + 1, 'count(*) names its one column: prepared')
})

t.test('a first run that fails to parse leaves the statement runnable once it can be', async (t) => {
  const text = 'select count(*)::int as n from prepared_later where x = $1'
  await t.rejects(handle.pool.query(text, [1]), { code: '42P01' }, 'the table does not exist yet')
  await handle.pool.query('create table prepared_later (x int)')
  t.same((await handle.pool.query(text, [1])).rows, [{ n: 0 }], 'parsed again, not taken for prepared')
})

t.test('a prepared statement Postgres refuses after a column changed type runs unnamed from then on', async (t) => {
  await handle.pool.query('create table prepared_retyped (id int primary key, amount int)')
  await handle.pool.query('insert into prepared_retyped values (1, 5)')
  const text = 'select amount from prepared_retyped where id = $1'
  t.same((await handle.pool.query(text, [1])).rows, [{ amount: 5 }])
  await handle.pool.query('alter table prepared_retyped alter column amount type int8')
  await t.rejects(handle.db.executeQuery(CompiledQuery.raw(text, [1])), { code: '0A000' }, 'the statement prepared before the change is refused once')
  t.same((await handle.db.executeQuery(CompiledQuery.raw(text, [1]))).rows, [{ amount: 5n }], 'then runs unnamed, with the new type')
})
