import t from 'tap'
import { sql } from 'kysely'
import { createEmptyDatabase } from '../helpers/app.js'
import { createMigrator, migrateToLatest } from '../../src/db/migrator.js'

/**
 * Migration 0037 on a database with history (DESIGN 19): the offers are not renumbered or rewritten (the ru line keeps
 * its versions, a text published before in another language keeps its row), and each acceptance takes the language
 * of the offer text it names; emails and privacy requests written before are Russian.
 */
const db = await createEmptyDatabase(t)

t.test('acceptances take the language of the text they name; nothing is renumbered', async (t) => {
  t.equal((await createMigrator(db).migrateTo('0035_ledger_entries_by_time')).error, undefined)
  const seed = (await sql<{ id: string, sha256: string }>`select id, sha256 from offers where language = 'ru'`.execute(db)).rows[0]
  const kkId = '00000000-0000-7000-8000-0000000000a1'
  const acceptance = (n: number): string => `00000000-0000-7000-8000-00000000000${n}`
  await db.transaction().execute(async (trx) => {
    // only the rows this test needs: no debt behind the acceptances
    await sql`set local session_replication_role = replica`.execute(trx)
    await sql`insert into offers (id, language, version, title, text, sha256)
      values (${kkId}, 'kk', 1, 'Оферта', 'Мәтін', ${'a'.repeat(64)})`.execute(trx)
    for (const [n, offer] of [[1, seed?.id], [2, kkId]] as const) {
      await sql`insert into acceptances (id, offer_id, offer_version, offer_sha256, debt_id, payer_full_name_encrypted,
          payer_email_encrypted, payer_email_index, payer_phone_encrypted, ip_encrypted, ip_index, personal_data_consent,
          accepted_at, consent_expires_at, payable_until)
        values (${acceptance(n)}, ${offer}, 1, 'x', ${acceptance(9)}, 'x', 'x', 'x', 'x', 'x', 'x', true, now(), now(), now())`
        .execute(trx)
    }
  })

  await migrateToLatest(db)
  const languages = (await sql<{ id: string, offer_language: string }>`
    select id, offer_language from acceptances order by id`.execute(db)).rows
  t.same(languages.map((r) => r.offer_language), ['ru', 'kk'])
  const offers = (await sql<{ language: string, version: number, sha256: string }>`
    select language, version, sha256 from offers order by language desc`.execute(db)).rows
  t.same(offers, [{ language: 'ru', version: 1, sha256: seed?.sha256 }, { language: 'kk', version: 1, sha256: 'a'.repeat(64) }])
  t.equal((await sql<{ n: number }>`select count(*)::int as n from mail_outbox where language <> 'ru'`.execute(db)).rows[0]?.n, 0)
  await t.rejects(sql`insert into privacy_requests (id, email_index, full_name_encrypted, language)
    values (${acceptance(8)}, 'i', 'x', 'de')`.execute(db), /privacy_requests_language_check/, 'a language the service does not speak is refused')
})
