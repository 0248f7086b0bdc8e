import t from 'tap'
import { sql } from 'kysely'
import { createEmptyDatabase } from '../helpers/app.js'
import { createMigrator, migrateToLatest } from '../../src/db/migrator.js'

/**
 * Migrations 0016 and 0017 on a database with history: requests received
 * before verification existed count as verified when received, and the
 * audit log's return reasons (which name people) are removed, leaving a mark,
 * through the one sanctioned path past the append-only trigger.
 */
const db = await createEmptyDatabase(t)

t.test('old requests and old audit entries are brought under the new rules', async (t) => {
  t.equal((await createMigrator(db).migrateTo('0015_mail_outbox')).error, undefined)
  const reason = 'Платёж Иванова Ивана Ивановича признан подозрительным'
  await sql`insert into audit_log (action, entity_type, entity_id, request_id, ip, details) values
    ('payment.returned', 'payment', 'pay_1', 'r1', '127.0.0.1', ${JSON.stringify({ reason, amount: '5000' })}::jsonb),
    ('refund_request.approved', 'refund_request', 'rfr_1', 'r2', '127.0.0.1', ${JSON.stringify({ amount: '100', dueAt: '2026-01-05' })}::jsonb)`.execute(db)
  const requestId = '00000000-0000-7000-8000-000000000001'
  await sql`insert into privacy_requests (id, email_index, full_name_encrypted, status, due_at, received_at)
    values (${requestId}, 'idx', 'x', 'received', '2026-01-05', '2025-11-20T10:00:00Z')`.execute(db)

  await migrateToLatest(db)
  const entries = (await sql<{ action: string, details: Record<string, string> }>`select action, details from audit_log order by id`.execute(db)).rows
  t.same(entries[0]?.details, { amount: '5000', reasonRemoved: true }, 'the reason is gone, and the entry says one was given')
  t.same(entries[1]?.details, { amount: '100', dueAt: '2026-01-05' }, 'other entries are untouched')
  await t.rejects(sql`update audit_log set details = '{}'`.execute(db), /append-only/, 'the log is append-only again')
  const request = (await sql<{ status: string, verified_at: Date }>`select status, verified_at from privacy_requests where id = ${requestId}`.execute(db)).rows[0]
  t.equal(request?.status, 'received')
  t.same(request?.verified_at, new Date('2025-11-20T10:00:00Z'), 'acted on when received, as it was')
})
