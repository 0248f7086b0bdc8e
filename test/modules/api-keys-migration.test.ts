import t from 'tap'
import { sql } from 'kysely'
import { createEmptyDatabase } from '../helpers/app.js'
import { createMigrator, migrateToLatest } from '../../src/db/migrator.js'
import { ensureAdminKey } from '../../src/modules/api-keys/service.js'
import { hashApiKey } from '../../src/modules/api-keys/keys.js'
import { toPublicId } from '../../src/lib/ids.js'

/**
 * Migration 0027 on a database with history: every value ADMIN_API_KEY was ever given left a live key (the old
 * rule), and an operator issued a key of the same name through the API. The migration tells them apart; the next
 * start with the current value keeps its key alone live, and the issued one is never touched.
 */
const db = await createEmptyDatabase(t)

t.test('the keys ADMIN_API_KEY made before are known; the next start keeps only the current one', async (t) => {
  t.equal((await createMigrator(db).migrateTo('0025_ledger_lines_lock_only_shared_accounts')).error, undefined)
  const id = (n: number): string => `00000000-0000-7000-8000-0000000000${String(n).padStart(2, '0')}`
  const [old, current, issued] = [id(1), id(2), id(3)]
  const OLD = 'first-admin-key-value-with-32-characters-at-least'
  const CURRENT = 'second-admin-key-value-with-32-characters-at-least'
  await sql`insert into api_keys (id, name, prefix, key_hash, scopes) values
    (${old}, 'ADMIN_API_KEY', 'first-admi', ${hashApiKey(OLD)}, array['admin']),
    (${current}, 'ADMIN_API_KEY', 'second-adm', ${hashApiKey(CURRENT)}, array['admin']),
    (${issued}, 'ADMIN_API_KEY', 'kap_issued', 'issued-hash', array['admin'])`.execute(db)
  await sql`insert into audit_log (action, entity_type, entity_id, request_id, ip, details) values
    ('api_key.ensured', 'api_key', null, 'startup', 'local', '{"name":"ADMIN_API_KEY"}'),
    ('api_key.ensured', 'api_key', null, 'startup', 'local', '{"name":"ADMIN_API_KEY"}'),
    ('api_key.created', 'api_key', ${toPublicId('apiKey', issued)}, 'r1', '127.0.0.1', '{}')`.execute(db)

  await migrateToLatest(db)
  const origins = async (): Promise<Array<{ id: string, origin: string, live: boolean }>> =>
    (await sql<{ id: string, origin: string, live: boolean }>`
      select id, origin, revoked_at is null as live from api_keys order by id`.execute(db)).rows
  t.same(await origins(), [
    { id: old, origin: 'admin_api_key', live: true },
    { id: current, origin: 'admin_api_key', live: true },
    { id: issued, origin: 'issued', live: true }
  ], 'ensured keys are ADMIN_API_KEY\'s; the one the audit log shows issued is not, whatever its name')

  const outcome = await ensureAdminKey(db, CURRENT)
  t.same(outcome, { kind: 'current', id: toPublicId('apiKey', current), revoked: [toPublicId('apiKey', old)] })
  t.same(await origins(), [
    { id: old, origin: 'admin_api_key', live: false },
    { id: current, origin: 'admin_api_key', live: true },
    { id: issued, origin: 'issued', live: true }
  ], 'the value no longer configured is revoked at last; the issued key lives on')
  t.same(await ensureAdminKey(db, CURRENT), { ...outcome, revoked: [] }, 'and the next start changes nothing')
  const widened = sql`update api_keys set scopes = array['admin', 'operator'] where id = ${current}`.execute(db)
  await t.rejects(widened, /api_keys_admin_api_key_scopes/, 'ADMIN_API_KEY\'s key is an admin key, nothing more')
})
