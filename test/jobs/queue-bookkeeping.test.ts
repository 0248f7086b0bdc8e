import { createServer } from 'node:http'
import t from 'tap'
import { sql, type Kysely } from 'kysely'
import { createKey, eventually, startTestWorker } from '../helpers/app.js'
import { accept, createListeningApp, postJson, seedDebt, startPayment, submitAtBank } from '../helpers/payments.js'
import { collectIdleQueues, enqueueJob } from '../../src/db/jobs.js'

/**
 * DESIGN 24: graphile-worker's queue table holds what is in flight, not history. Webhook deliveries open no named
 * queue; each payment's refunds share one (never two at the bank at once), collected once it empties; and the
 * collector never removes a queue a job is being added to, whichever of the two comes first.
 */
const receiver = createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200).end('') }) })
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
t.teardown(() => { receiver.close() })
const address = receiver.address()
const hook = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/hook`

const { app, base, config } = await createListeningApp(t, { WEBHOOK_ALLOW_PRIVATE_URLS: 'true' })
const db = app.db as unknown as Kysely<any>

async function queueRows (): Promise<string[]> {
  const { rows } = await sql<{ queue_name: string }>`
    select queue_name from graphile_worker._private_job_queues order by queue_name`.execute(db)
  return rows.map((row) => row.queue_name)
}

async function jobsWithoutTheirQueue (): Promise<number> {
  const { rows } = await sql<{ count: string }>`
    select count(*)::text as count from graphile_worker._private_jobs jobs
     where jobs.job_queue_id is not null
       and not exists (select 1 from graphile_worker._private_job_queues q where q.id = jobs.job_queue_id)`.execute(db)
  return Number(rows[0]?.count)
}

/** A queue that exists and holds no job: what the collector removes. */
async function idleQueue (name: string): Promise<void> {
  await enqueueJob(db, 'no-such-task', {}, { queueName: name, jobKey: `idle:${name}` })
  await sql`delete from graphile_worker._private_jobs where key = ${`idle:${name}`}`.execute(db)
  t.ok((await queueRows()).includes(name))
}

t.test('a job being added to an idle queue keeps it: the collector skips what an open enqueue holds', async (t) => {
  await idleQueue('refunds:race-1')
  let commit!: () => void
  const committed = new Promise<void>((resolve) => { commit = resolve })
  let added!: () => void
  const enqueued = new Promise<void>((resolve) => { added = resolve })
  const enqueue = db.transaction().execute(async (trx) => {
    const later = new Date(Date.now() + 3_600_000)
    await enqueueJob(trx, 'no-such-task', {}, { queueName: 'refunds:race-1', jobKey: 'race-1', runAt: later })
    added()
    await committed
  })
  await enqueued
  t.equal(await collectIdleQueues(db), 0, 'the queue is held by the open enqueue: not collected')
  commit()
  await enqueue
  t.same(await queueRows(), ['refunds:race-1'])
  t.equal(await jobsWithoutTheirQueue(), 0, 'the job has its queue')
  await sql`delete from graphile_worker._private_jobs where key = 'race-1'`.execute(db)
  t.equal(await collectIdleQueues(db), 1, 'once empty, it goes')
  t.same(await queueRows(), [])
})

t.test('an enqueue that comes while the collector removes the queue waits, then makes the queue again', async (t) => {
  await idleQueue('refunds:race-2')
  let enqueue: Promise<void> | undefined
  await db.transaction().execute(async (trx) => {
    t.equal(await collectIdleQueues(trx as unknown as Kysely<any>), 1)
    const later = new Date(Date.now() + 3_600_000)
    enqueue = enqueueJob(db, 'no-such-task', {}, { queueName: 'refunds:race-2', jobKey: 'race-2', runAt: later })
    // the enqueue waits on the row the collector deleted, which the collector holds until it commits
    await eventually(async () => {
      const { rows } = await sql<{ waiting: boolean }>`
        select exists (select 1 from pg_stat_activity where datname = current_database()
                        and wait_event_type = 'Lock' and query like '%_private_job_queues%for key share%') as waiting`
        .execute(db)
      return rows[0]?.waiting === true
    })
    t.pass('the enqueue waits on the collector')
  })
  await enqueue
  t.same(await queueRows(), ['refunds:race-2'], 'made again')
  t.equal(await jobsWithoutTheirQueue(), 0, 'the job has its queue')
  await sql`delete from graphile_worker._private_jobs where key = 'race-2'`.execute(db)
  await collectIdleQueues(db)
})

t.test('dozens of deliveries and refunds leave no queue behind once the collector has run', async (t) => {
  await startTestWorker(t, app, config)
  const admin = await createKey(app, ['admin'])
  const operator = await createKey(app, ['operator'])
  const endpoint = await postJson(`${base}/v1/admin/webhook-endpoints`, { url: hook }, { authorization: admin.authorization })
  t.equal(endpoint.status, 201)
  const payments: string[] = []
  for (let i = 0; i < 12; i++) {
    const debt = await seedDebt(app, { outstanding: '5000.00' })
    const acceptance = await accept(base, debt.id)
    const started = await startPayment(base, acceptance.id, 100_000)
    const payment = await started.json() as { id: string, redirectUrl: string }
    await submitAtBank(payment.redirectUrl)
    payments.push(payment.id)
  }
  const requests: string[] = []
  for (const paymentId of payments) {
    const request = await (await postJson(`${base}/v1/refund-requests`, { paymentId, email: 'Ivanov@Example.kz', amount: 40_000, reason: 'Оплатил лишнее' })).json() as { id: string }
    const decided = await postJson(`${base}/v1/admin/refund-requests/${request.id}/decision`, { decision: 'approve', responseText: 'Возврат одобрен' }, { authorization: operator.authorization })
    t.equal(decided.status, 200)
    requests.push(request.id)
  }
  await eventually(async () => {
    for (const id of requests) {
      const state = await (await fetch(`${base}/v1/refund-requests/${id}`)).json() as { status: string }
      if (state.status !== 'completed') return false
    }
    const { rows } = await sql<{ pending: string }>`
      select count(*)::text as pending from webhook_deliveries where status <> 'succeeded'`.execute(db)
    return rows[0]?.pending === '0'
  })
  const { rows } = await sql<{ count: string }>`select count(*)::text as count from webhook_deliveries`.execute(db)
  t.ok(Number(rows[0]?.count) >= 24, `${rows[0]?.count ?? 0} webhook deliveries made`)
  const before = await queueRows()
  t.ok(before.every((name) => name.startsWith('refunds:')), 'no delivery opened a queue')
  t.ok(before.length <= payments.length, 'at most one queue a payment with refunds')
  await eventually(async () => {
    await collectIdleQueues(db)
    return (await queueRows()).length === 0
  })
  t.pass('collected: nothing in flight, no queue left')
})
