import t from 'tap'
import { CompiledQuery } from 'kysely'
import { createDatabase } from '../../src/db/database.js'
import { createTestDatabase } from '../helpers/app.js'

// One connection, so every statement below runs on the session whose prepared statements are read back.
const url = await createTestDatabase(t)
const handle = createDatabase(url, { max: 1 })
t.teardown(async () => { await handle.close() })

async function preparedTexts (): Promise<string[]> {
  const { rows } = await handle.pool.query<{ statement: string }>('select statement from pg_prepared_statements order by prepare_time')
  return rows.map((row) => row.statement)
}

async function runs (times: number, text: string, values: unknown[]): Promise<unknown[]> {
  const results: unknown[] = []
  for (let i = 0; i < times; i++) results.push((await handle.pool.query(text, values)).rows)
  return results
}

t.test('a statement with parameters and named result columns is prepared on its third run, and its results stay the same', async (t) => {
  const text = 'select $1::int8 + 1 as next'
  t.same(await runs(2, text, ['41']), [[{ next: 42n }], [{ next: 42n }]])
  t.notOk((await preparedTexts()).includes(text), 'two runs: still unnamed')
  t.same(await runs(2, text, ['1']), [[{ next: 2n }], [{ next: 2n }]], 'values bound anew each time, int8 read by our parser')
  t.equal((await preparedTexts()).filter((s) => s === text).length, 1, 'prepared once on the connection')
  const echo = 'select $1::text as echo'
  const inside = await handle.db.transaction().execute(async (trx) => {
    for (let i = 0; i < 2; i++) await trx.executeQuery(CompiledQuery.raw(echo, ['a']))
    return await trx.executeQuery<{ echo: string }>(CompiledQuery.raw(echo, ['b']))
  })
  t.same(inside.rows, [{ echo: 'b' }], 'through the query builder, in a transaction')
  t.ok((await preparedTexts()).includes(echo))
})

t.test('what could change shape under a migration, binds objects, has no parameters or is too big runs unnamed', async (t) => {
  await handle.pool.query('create table prepared_shapes (id int primary key, label text, data jsonb)')
  const before = await preparedTexts()
  const many = Array.from({ length: 65 }, (_, i) => `$${i + 1}::int`).join(' + ')
  const unnamed: Array<[string, unknown[]]> = [
    ['select 1 as no_parameters', []],
    ['select * from prepared_shapes where id = $1', [1]],
    ['select distinct on (id) * from prepared_shapes where id = $1', [1]],
    ['select id, * from prepared_shapes where id = $1', [1]],
    ['select prepared_shapes.* from prepared_shapes where id = $1', [1]],
    ['insert into prepared_shapes (id, label) values ($1, $2) on conflict (id) do update set label = excluded.label returning *', [1, 'a']],
    ['update prepared_shapes set data = $1 where id = $2', [{ amount: 1 }, 1]],
    ['select id from prepared_shapes where id = any($1)', [[1, 2]]],
    [`select ${many} as total`, Array.from({ length: 65 }, () => 1)]
  ]
  for (const [text, values] of unnamed) await runs(4, text, values)
  t.same(await preparedTexts(), before, 'none of them prepared')
  await runs(3, 'select count(*)::int as n from prepared_shapes where id = $1', [1])
  t.equal((await preparedTexts()).length, before.length + 1, 'count(*) names its one column: prepared')
})

t.test('a run that fails to parse leaves the statement runnable once it can be', async (t) => {
  const text = 'select count(*)::int as n from prepared_later where x = $1'
  for (let i = 0; i < 3; i++) await t.rejects(handle.pool.query(text, [1]), { code: '42P01' }, 'the table does not exist yet')
  await handle.pool.query('create table prepared_later (x int)')
  t.same(await runs(2, text, [1]), [[{ n: 0 }], [{ n: 0 }]], 'parsed again, not taken for prepared')
})

t.test('a prepared statement Postgres refuses after a column changed type runs unnamed from then on; names are never reused', async (t) => {
  await handle.pool.query('create table prepared_retyped (id int primary key, amount int)')
  await handle.pool.query('insert into prepared_retyped values (1, 5)')
  const text = 'select amount from prepared_retyped where id = $1'
  const other = 'select id from prepared_retyped where amount > $1'
  await runs(3, text, [1])
  await runs(3, other, [0])
  await handle.pool.query('alter table prepared_retyped alter column amount type int8')
  await t.rejects(handle.db.executeQuery(CompiledQuery.raw(text, [1])), { code: '0A000' }, 'the statement prepared before the change is refused once')
  t.same((await handle.db.executeQuery(CompiledQuery.raw(text, [1]))).rows, [{ amount: 5n }], 'then runs unnamed, with the new type')
  const fresh = 'select amount + 1 as more from prepared_retyped where id = $1'
  t.same(await runs(3, fresh, [1]), [[{ more: 6n }], [{ more: 6n }], [{ more: 6n }]], 'a text prepared after the forgotten one gets a name of its own')
  t.same(await runs(1, other, [0]), [[{ id: 1 }]], 'and the one prepared before still runs')
})

t.test('a connection that lost its prepared statements (DISCARD ALL) parses them again', async (t) => {
  const text = 'select $1::int + $1::int as twice'
  await runs(3, text, [4])
  t.ok((await preparedTexts()).includes(text))
  await handle.pool.query('deallocate all')
  await t.rejects(handle.pool.query(text, [4]), { code: '26000' }, 'the next run finds its statement gone')
  t.same(await runs(2, text, [4]), [[{ twice: 8 }], [{ twice: 8 }]], 'then it is prepared again')
  t.ok((await preparedTexts()).includes(text))
})

t.test('a migration session prepares nothing', async (t) => {
  const migrations = createDatabase(url, { max: 1, prepared: false })
  t.teardown(async () => { await migrations.close() })
  for (let i = 0; i < 3; i++) await migrations.pool.query('select $1::int as x', [1])
  t.same((await migrations.pool.query('select count(*)::int as n from pg_prepared_statements')).rows, [{ n: 0 }])
})
