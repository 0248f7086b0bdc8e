import t from 'tap'
import pg from 'pg'
import { connectionPrivileges, SERVICE_ROLE } from '../../src/db/service-role.js'
import { createKey, eventually, startTestWorker } from '../helpers/app.js'
import { accept, createListeningApp, postJson, seedDebt, startPayment, submitAtBank } from '../helpers/payments.js'
import { importPortfolio, makeRow, type PortfolioRow } from '../helpers/portfolio.js'

/**
 * DESIGN 16, least privilege: the service connects as a role that owns nothing. Whatever the code does, or an
 * attacker who has the service's connection does, the ledger and the audit log stay append-only: their triggers
 * cannot be disabled, their rows neither changed nor deleted, no table altered or dropped. And the whole flow still
 * works on that role: the HTTP service, and the worker on graphile-worker's queue (installed by the owner).
 */
const { app, base, config, databaseUrl, ownerUrl } = await createListeningApp(t, {}, { serviceRole: true })
await startTestWorker(t, app, config)

async function connect (url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url })
  client.on('error', () => {}) // the pending query fails with it
  await client.connect()
  t.teardown(async () => { await client.end() })
  return client
}
const service = await connect(databaseUrl)
const owner = await connect(ownerUrl)

async function count (table: string): Promise<number> {
  return (await owner.query<{ n: number }>(`select count(*)::int as n from ${table}`)).rows[0]?.n ?? -1
}
async function protectedRows (): Promise<Record<string, number>> {
  return { lines: await count('ledger_lines'), entries: await count('ledger_entries'), audit: await count('audit_log') }
}

t.test('the service\'s connection is a role that owns nothing', async (t) => {
  const role = await connectionPrivileges(app.db)
  t.match(role, { user: /^test_service_/, superuser: false, ownedTables: 0 })
  const member = await service.query('select pg_has_role($1, \'USAGE\') as member', [SERVICE_ROLE])
  t.equal(member.rows[0].member, true, `its rights come from ${SERVICE_ROLE}`)
  const owned = await owner.query(`select count(*)::int as n from pg_class c join pg_roles r on r.oid = c.relowner
    where r.rolname = $1`, [SERVICE_ROLE])
  t.equal(owned.rows[0].n, 0, 'nor does the group role own anything')
})

t.test('on the service\'s connection the ledger and the audit log cannot be changed, nor their triggers disabled',
  async (t) => {
    await seedDebt(app, { outstanding: '1000.00' }) // a claim_assigned entry: lines to protect
    await createKey(app, ['operator']) // and an audit entry
    const before = await protectedRows()
    t.ok(Object.values(before).every((n) => n > 0))
    const refused: Array<[string, RegExp]> = [
      ['alter table ledger_lines disable trigger all', /must be owner of table ledger_lines/],
      ['alter table ledger_entries disable trigger ledger_entries_no_change', /must be owner/],
      ['alter table audit_log disable trigger audit_log_no_update_delete', /must be owner/],
      ['delete from ledger_lines', /permission denied for table ledger_lines/],
      ['update ledger_lines set amount = 0', /permission denied for table ledger_lines/],
      ['delete from ledger_entries', /permission denied for table ledger_entries/],
      ['truncate ledger_lines, ledger_entries', /permission denied for table ledger_lines/],
      ['update audit_log set action = \'forged\'', /permission denied for table audit_log/],
      ['delete from audit_log', /permission denied for table audit_log/],
      ['truncate audit_log', /permission denied for table audit_log/],
      ['update offers set text = \'another text\'', /permission denied for table offers/],
      ['delete from ledger_accounts', /permission denied for table ledger_accounts/],
      ['delete from debts', /permission denied for table debts/],
      ['drop table payments', /must be owner of table payments/],
      ['alter table payments drop constraint payments_pkey', /must be owner/],
      ['drop trigger ledger_lines_no_change on ledger_lines', /must be owner/],
      [`create or replace function ledger_append_only() returns trigger language plpgsql
        as $$ begin return null; end $$`, /permission denied for schema public|must be owner/],
      // replica mode skips every ordinary trigger: a superuser's setting
      ['set session_replication_role = replica', /permission denied to set parameter/],
      ['create table shadow_ledger (id int)', /permission denied for schema public/],
      ['alter table graphile_worker._private_jobs disable row level security', /must be owner/],
      ['delete from kysely_migration', /permission denied for table kysely_migration/]
    ]
    for (const [statement, message] of refused) {
      const error = await service.query(statement).then(() => null, (err: Error & { code?: string }) => err)
      t.match(error, { code: '42501', message }, statement)
    }
    t.same(await protectedRows(), before, 'every line, entry and audit record is still there')
    const triggers = await owner.query(`select count(*)::int as n from pg_trigger
      where tgrelid = any(array['ledger_lines', 'ledger_entries', 'audit_log']::regclass[]) and tgenabled = 'D'`)
    t.equal(triggers.rows[0].n, 0, 'and no trigger is disabled')
  })

t.test('what an append-only trigger refuses, the service role is not even granted', async (t) => {
  // tgtype bits: DELETE 8, UPDATE 16, TRUNCATE 32
  const { rows } = await owner.query<{ table: string, event: string, granted: boolean }>(`
    select c.relname as table, e.event, has_table_privilege($1, c.oid, e.event) as granted
      from pg_trigger g join pg_class c on c.oid = g.tgrelid join pg_proc p on p.oid = g.tgfoid
      cross join (values (8, 'DELETE'), (16, 'UPDATE'), (32, 'TRUNCATE')) as e (bit, event)
     where not g.tgisinternal and g.tgtype & e.bit <> 0
       and p.proname in ('audit_log_is_append_only', 'ledger_append_only', 'never_deleted', 'offers_are_immutable')
     order by 1, 2`, [SERVICE_ROLE])
  const tables = new Set(rows.map((r) => r.table))
  for (const table of ['audit_log', 'ledger_entries', 'ledger_lines', 'ledger_accounts', 'offers']) {
    t.ok(tables.has(table), `${table} has an append-only trigger`)
  }
  t.same(rows.filter((r) => r.granted).map((r) => `${r.event} on ${r.table}`), [],
    'a later migration that adds such a trigger revokes the same there')
})

t.test('every table of ours and of the job queue is readable by the service role, none truncatable', async (t) => {
  const { rows } = await owner.query<{ table: string, readable: boolean, truncatable: boolean }>(`
    select format('%I.%I', n.nspname, c.relname) as table, has_table_privilege($1, c.oid, 'SELECT') as readable,
           has_table_privilege($1, c.oid, 'TRUNCATE') as truncatable
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname in ('public', 'graphile_worker') and c.relkind in ('r', 'p', 'v')`, [SERVICE_ROLE])
  t.ok(rows.some((r) => r.table === 'graphile_worker._private_jobs'), 'the queue is installed (by the owner)')
  t.same(rows.filter((r) => !r.readable).map((r) => r.table), [], 'default privileges reached every table')
  t.same(rows.filter((r) => r.truncatable).map((r) => r.table), [])
})

t.test('graphile-worker\'s tables show the service role every row (row-level security is on in them)', async (t) => {
  // what the liveness sweep and the metrics read, besides the worker itself
  await service.query(`select graphile_worker.add_job('least_privilege_probe', '{}'::json,
    run_at := now() + interval '1 hour', job_key := 'least-privilege-probe')`)
  const seen = async (client: pg.Client): Promise<number> => {
    const { rows } = await client.query<{ n: number }>(`
      select count(*)::int as n from graphile_worker._private_jobs j
        join graphile_worker._private_tasks k on k.id = j.task_id where k.identifier = 'least_privilege_probe'`)
    return rows[0]?.n ?? -1
  }
  t.equal(await seen(service), 1, 'the service sees the job it queued')
  t.equal(await seen(owner), 1)
  await service.query('select graphile_worker.force_unlock_workers(array[\'no-such-worker\'])')
  await service.query('select graphile_worker.remove_job(\'least-privilege-probe\')')
  t.equal(await seen(owner), 0, 'and removes it')
})

t.test('the whole flow runs on the service role: HTTP, ledger, worker jobs, mail', async (t) => {
  const ready = await fetch(`${base}/health/ready`)
  t.equal(ready.status, 200, 'ready: it reads the migrations\' bookkeeping')
  const operator = await createKey(app, ['operator'])
  const debt = await seedDebt(app, { outstanding: '50000.00' })
  const lookup = await postJson(`${base}/v1/debts/lookup`, { contractNumber: debt.contract, iin: debt.iin })
  t.equal(lookup.status, 200)
  const email = 'least-privilege@example.kz'
  const payer = { fullName: 'Иванов Иван Иванович', email, phone: '87012345678' }
  const acceptance = await accept(base, debt.id, payer)
  const started = await startPayment(base, acceptance.id, 700_000)
  t.equal(started.status, 201)
  const payment = await started.json() as { id: string, redirectUrl: string }
  t.equal((await submitAtBank(payment.redirectUrl)).status, 303)
  const paid = await (await fetch(`${base}/v1/payments/${payment.id}`)).json() as { status: string }
  t.equal(paid.status, 'succeeded', 'the bank\'s callbacks posted to the ledger')

  // a refund is paid by the worker (graphile-worker on the same role), and its mail delivered by another job
  const request = await postJson(`${base}/v1/refund-requests`,
    { paymentId: payment.id, email, amount: 200_000, reason: 'Лишнее' })
  t.equal(request.status, 201)
  const { id } = await request.json() as { id: string }
  const decision = await postJson(`${base}/v1/admin/refund-requests/${id}/decision`,
    { decision: 'approve', responseText: 'Одобрено' }, { authorization: operator.authorization })
  t.equal(decision.status, 200)
  const refunded = await eventually(async () => {
    const state = await (await fetch(`${base}/v1/payments/${payment.id}`)).json() as { refundedAmount: number }
    return state.refundedAmount === 200_000 ? state : null
  })
  t.match(refunded, { refundedAmount: 200_000 })
  await eventually(async () => {
    const mailbox = await (await fetch(`${base}/sandbox/mailbox`)).json() as { messages: Array<{ template: string }> }
    return mailbox.messages.some((m) => m.template === 'refund-paid')
  })
  const kinds = await owner.query<{ kind: string }>('select kind from ledger_entries order by created_at')
  t.ok(['payment_received', 'refund_paid'].every((k) => kinds.rows.some((r) => r.kind === k)),
    'the payment and the refund are in the ledger')
})

t.test('a portfolio import runs on the service role: COPY into staging, ANALYZE, the worker\'s batches', async (t) => {
  const operator = await createKey(app, ['operator'])
  const rows = [makeRow(900_001), makeRow(900_002), makeRow(900_003)]
  const report = await importPortfolio(app, operator.authorization, [...rows, rows[0] as PortfolioRow])
  t.match(report, { status: 'completed' })
  // without MAINTAIN (Postgres 17) a non-owner's ANALYZE is skipped with a mere warning, and the plans go blind
  const analyzed = await eventually(async () => (await owner.query<{ at: Date | null }>(
    'select last_analyze as at from pg_stat_user_tables where relname = \'debt_import_rows\'')).rows[0]?.at, 10_000)
  t.ok(analyzed instanceof Date, 'the staging rows were analyzed')
})
