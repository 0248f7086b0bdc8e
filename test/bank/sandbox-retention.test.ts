import t from 'tap'
import { sql, type Kysely } from 'kysely'
import { accept, createListeningApp, seedDebt, startPayment, submitAtBank } from '../helpers/payments.js'
import { purgeOrdersBefore } from '../../src/bank/sandbox/repository.js'
import { SANDBOX_PURGE_TASK, SANDBOX_RETENTION_DAYS, taskList } from '../../src/jobs/tasks.js'

/** DESIGN 24: the sandbox banks' tables are purged on a schedule, by the window, whatever the table holds. */
const { app, base } = await createListeningApp(t)
const db = app.db as unknown as Kysely<any>
const DAY_MS = 86_400_000

async function orders (): Promise<number[]> {
  const { rows } = await sql<{ id: string }>`select id from sandbox_bank_payments order by id`.execute(db)
  return rows.map((row) => Number(row.id))
}

t.test('orders past the retention go with their refunds and callbacks; newer ones stay', async (t) => {
  for (let i = 0; i < 5; i++) {
    const debt = await seedDebt(app, { outstanding: '5000.00' })
    const acceptance = await accept(base, debt.id)
    const started = await startPayment(base, acceptance.id, 10_000)
    await submitAtBank((await started.json() as { redirectUrl: string }).redirectUrl)
  }
  const all = await orders()
  t.equal(all.length, 5)
  const old = all.slice(0, 3)
  const aged = new Date(Date.now() - (SANDBOX_RETENTION_DAYS + 1) * DAY_MS)
  await sql`update sandbox_bank_payments set created_at = ${aged} where id in (${sql.join(old)})`.execute(db)
  await sql`insert into sandbox_bank_refunds (payment_id, amount) values (${old[0]}, 100)`.execute(db)
  const { rows: callbacks } = await sql<{ count: string }>`
    select count(*)::text as count from sandbox_bank_callbacks where payment_id in (${sql.join(old)})`.execute(db)
  t.ok(Number(callbacks[0]?.count) > 0, 'the old orders have callbacks')

  const before = new Date(Date.now() - SANDBOX_RETENTION_DAYS * DAY_MS)
  t.equal(await purgeOrdersBefore(app.db, before, 2), 2, 'a batch takes at most its size, from the oldest')
  t.equal(await purgeOrdersBefore(app.db, before, 2), 1, 'fewer than the batch: nothing older is left at the head')
  t.equal(await purgeOrdersBefore(app.db, before, 2), 0)
  t.same(await orders(), all.slice(3))
  const { rows: left } = await sql<{ refunds: string, callbacks: string }>`
    select (select count(*) from sandbox_bank_refunds)::text as refunds,
           (select count(*) from sandbox_bank_callbacks where payment_id in (${sql.join(old)}))::text as callbacks`
    .execute(db)
  t.same(left[0], { refunds: '0', callbacks: '0' })
})

t.test('the daily task purges both sandboxes', async (t) => {
  const aged = new Date(Date.now() - (SANDBOX_RETENTION_DAYS + 1) * DAY_MS)
  await sql`update sandbox_bank_payments set created_at = ${aged}`.execute(db)
  await sql`insert into sandbox_kaspi_payments (txn_id, txn_date, account, sum, delivered)
            values ('100000000001', ${aged}, '1234567890', 5000, true),
                   ('100000000002', now(), '1234567890', 5000, true)`.execute(db)
  const tasks = taskList(app)
  await (tasks[SANDBOX_PURGE_TASK] as (payload: unknown, helpers: unknown) => Promise<void>)({}, {})
  t.same(await orders(), [])
  const { rows } = await sql<{ txn_id: string }>`select txn_id from sandbox_kaspi_payments`.execute(db)
  t.same(rows.map((row) => row.txn_id), ['100000000002'])
})
