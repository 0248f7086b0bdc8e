import t from 'tap'
import { sql } from 'kysely'
import { createEmptyDatabase } from '../helpers/app.js'
import { createMigrator, migrateToLatest } from '../../src/db/migrator.js'
import { trialBalance } from '../../src/modules/ledger/service.js'

/**
 * Migration 0033 (DESIGN 18) on a database with history: every spelling becomes a creditor, spellings that fold
 * alike one creditor; debts, partner keys and events get creditor ids; the claims accounts key by creditor id, two
 * accounts of one creditor both kept with their balances, and the books tie out as before.
 */
const db = await createEmptyDatabase(t)

t.test('two spellings of one bank become one creditor; the books tie out as before', async (t) => {
  t.equal((await createMigrator(db).migrateTo('0011_receipt_secrets')).error, undefined)
  const debt = (n: number) => `00000000-0000-7000-8000-0000000000${String(n).padStart(2, '0')}`
  await sql`
    insert into debts (id, contract_number, contract_number_normalized, debtor_iin_encrypted, debtor_iin_index,
                       debtor_name_encrypted, creditor, outstanding, status, source_hash)
    values (${debt(1)}, 'A', 'A', 'x', 'ia', 'x', 'АО «Банк»', 600000, 'active', 'ha'),
           (${debt(2)}, 'B', 'B', 'x', 'ib', 'x', 'АО «Банк»', 500000, 'active', 'hb'),
           (${debt(3)}, 'C', 'C', 'x', 'ic', 'x', 'АО "Банк"', 700000, 'active', 'hc'),
           (${debt(4)}, 'D', 'D', 'x', 'id', 'x', 'МФО', 300000, 'active', 'hd')`.execute(db)
  // 0012 books the claims, one account per spelling
  t.equal((await createMigrator(db).migrateTo('0032_sandbox_kaspi')).error, undefined)
  const before = await trialBalance(db)
  const claimsBefore = await sql<{ creditor: string, balance: string }>`
    select creditor, balance::text from ledger_accounts where kind = 'claims' order by creditor`.execute(db)
  t.equal(claimsBefore.rows.length, 3)
  await sql`
    insert into api_keys (id, name, prefix, key_hash, scopes, creditors)
    values (${debt(50)}, 'bank', 'kap_x', 'hash-1', '{partner}', ${['ао  „банк“', 'Никто']}::text[])`.execute(db)
  await sql`
    insert into events (id, type, creditor, data, partner_data)
    values (${debt(60)}, 'debt.closed', 'АО "Банк"', '{}', '{}')`.execute(db)

  await migrateToLatest(db)

  const creditors = (await sql<{ id: string, name: string, aliases: string[], agreement_kind: string }>`
    select id, name, aliases, agreement_kind from creditors order by name`.execute(db)).rows
  t.same(creditors.map((c) => [c.name, c.aliases, c.agreement_kind]), [
    ['АО «Банк»', ['АО "Банк"', 'ао  „банк“'], 'assignment'],
    ['МФО', [], 'assignment'],
    ['Никто', [], 'assignment']
  ], 'named by the spelling most debts carry, the others aliases; a key\'s name no debt had is a creditor too')
  const [bank, mfo, nobody] = creditors.map((c) => c.id)
  const debts = (await sql<{ creditor: string, creditor_id: string }>`
    select creditor, creditor_id from debts order by id`.execute(db)).rows
  t.same(debts.map((d) => d.creditor_id), [bank, bank, bank, mfo], 'both spellings\' debts are the bank\'s')
  t.same(debts.map((d) => d.creditor), ['АО «Банк»', 'АО «Банк»', 'АО "Банк"', 'МФО'], 'the names as written stay')

  const hex = (id: string | undefined) => (id ?? '').replaceAll('-', '')
  const claims = (await sql<{ key: string, creditor_id: string, balance: string, creditor: string }>`
    select key, creditor_id, balance::text, creditor from ledger_accounts where kind = 'claims' order by key`
    .execute(db)).rows
  t.same(claims.map((c) => c.key).sort(), [`claims:cred_${hex(bank)}`, `claims:cred_${hex(bank)}:2`, `claims:cred_${hex(mfo)}`].sort())
  for (const account of claims) {
    t.equal(account.balance, claimsBefore.rows.find((r) => r.creditor === account.creditor)?.balance,
      `${account.key} keeps its balance`)
  }
  const after = await trialBalance(db)
  t.match(after, { total: 0, consistent: true })
  // later migrations open accounts of their own (0034: bank, fees), empty: the balances are what must not move
  const balances = (accounts: typeof after.accounts): Array<[string, number]> =>
    accounts.map((a) => [a.kind, a.balance])
  t.same(balances(after.accounts), balances(before.accounts), 'every kind\'s balance as before')

  const key = (await sql<{ creditors: string[] }>`select creditors from api_keys`.execute(db)).rows[0]
  t.same(key?.creditors, [bank, nobody], 'the key holds creditor ids, in its order')
  const event = (await sql<{ creditor_id: string }>`select creditor_id from events`.execute(db)).rows[0]
  t.equal(event?.creditor_id, bank)
  await t.rejects(sql`update ledger_accounts set creditor_id = ${mfo} where key = ${`claims:cred_${hex(bank)}`}`
    .execute(db), /identity never changes/, 'the guard holds the new identity too')
  await t.rejects(sql`insert into creditor_names (key, creditor_id) values ('ао банк', ${mfo})`.execute(db),
    /creditor_names_pkey/, 'a folded name belongs to one creditor')
})
