import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

/**
 * DESIGN 19: an offer version holds a text per language (rows of `offers` sharing a version number; the ru line
 * keeps its versions 1..n, nothing is renumbered or rewritten). An acceptance records the language of the text the
 * payer read, next to its version and sha256: existing ones take the language of the offer row they name. An
 * email is written in its reader's language, and a personal-data request names the language of its emails.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('acceptances')
    .addColumn('offer_language', 'text', (c) => c.notNull().defaultTo('ru')).execute()
  await sql`
    update acceptances a set offer_language = o.language
      from offers o
     where o.id = a.offer_id and o.language <> 'ru'`.execute(db)

  await db.schema.alterTable('mail_outbox')
    .addColumn('language', 'text', (c) => c.notNull().defaultTo('ru')
      .check(sql`language in ('kk', 'ru', 'en')`)).execute()

  await db.schema.alterTable('privacy_requests')
    .addColumn('language', 'text', (c) => c.notNull().defaultTo('ru')
      .check(sql`language in ('kk', 'ru', 'en')`)).execute()
}
