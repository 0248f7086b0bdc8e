import { sql, type Kysely, type RawBuilder } from 'kysely'

// Frozen in time: this file never imports application code.

/** src/lib/creditor-names.ts as it stood: NFKC, lower case, quote marks out, white space folded. */
const QUOTES = /["'«»„“”‟‘’‚‛‹›`]/gu
function fold (name: string): string {
  return name.normalize('NFKC').toLowerCase().replace(QUOTES, '').replace(/\s+/gu, ' ').trim()
}

/**
 * DESIGN 18: creditors are records.
 *
 * - `creditors` (name, aliases, BIN, agreement) and `creditor_names`: the folded form of every name and alias, unique,
 *   so a name or alias two creditors share is a constraint violation, never a race.
 * - Every spelling already in use (debts, the ledger's claims accounts, partner keys, events, webhook endpoints)
 *   becomes a creditor; spellings that fold alike (`АО "Банк"`, `АО «Банк»`) become one, named by the spelling most
 *   debts carry, the others its aliases.
 * - `debts.creditor_id` (the record; `creditor` stays the name as the portfolio wrote it), `events.creditor_id`;
 *   partner keys and webhook endpoints hold creditor ids in `creditors`.
 * - Claims accounts key by creditor id: `claims:cred_<hex>`. Two accounts whose names fold to one creditor both
 *   stay, with their lines and balances untouched (rewriting history is no merger): the first by key takes
 *   `claims:cred_<hex>` and every later posting, the others `claims:cred_<hex>:2`, `:3`, … keep what they hold. The
 *   creditor's claims are the sum of its accounts. The guard refuses identity changes to the service; the owner
 *   steps past it once, as 0029 did. No line moves: every balance and the trial balance stay as they were.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    create table creditors (
      id uuid primary key default uuid_generate_v7(),
      name text not null check (length(name) between 1 and 200),
      aliases text[] not null default '{}' check (cardinality(aliases) <= 50),
      bin text check (bin ~ '^[0-9]{12}$'),
      agreement_kind text not null default 'assignment' check (agreement_kind in ('assignment', 'agency')),
      commission_bps integer not null default 0 check (commission_bps between 0 and 10000),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint creditors_assignment_no_commission check (agreement_kind = 'agency' or commission_bps = 0)
    )`.execute(db)
  await sql`
    create table creditor_names (
      key text primary key check (length(key) between 1 and 200),
      creditor_id uuid not null references creditors (id)
    )`.execute(db)
  await sql`create index creditor_names_creditor on creditor_names (creditor_id)`.execute(db)

  // every spelling in use, with how many debts carry it
  const spellings = (await sql<{ spelling: string, debts: string }>`
    select spelling, sum(debts)::text as debts from (
      select creditor as spelling, count(*) as debts from debts group by creditor
      union all select creditor, 0 from ledger_accounts where kind = 'claims'
      union all select unnest(creditors), 0 from api_keys
      union all select creditor, 0 from events where creditor is not null
      union all select unnest(creditors), 0 from webhook_endpoints where creditors is not null
    ) s where spelling is not null group by spelling order by spelling`.execute(db)).rows
  const groups = new Map<string, Array<{ spelling: string, debts: bigint }>>()
  for (const row of spellings) {
    const key = fold(row.spelling)
    if (key === '') continue
    groups.set(key, [...(groups.get(key) ?? []), { spelling: row.spelling, debts: BigInt(row.debts) }])
  }
  await sql`create temporary table creditor_spellings (spelling text primary key, creditor_id uuid not null)`
    .execute(db)
  for (const [key, members] of groups) {
    const named = [...members].sort((a, b) => a.debts === b.debts ? 0 : a.debts > b.debts ? -1 : 1)[0]
    const name = (named?.spelling ?? key).trim().slice(0, 200)
    const aliases = [...new Set(members.map((m) => m.spelling.trim()).filter((s) => s !== name))]
    const id = (await sql<{ id: string }>`
      insert into creditors (name, aliases) values (${name}, ${aliases}::text[]) returning id`.execute(db)).rows[0]?.id
    await sql`insert into creditor_names (key, creditor_id) values (${key}, ${id})`.execute(db)
    await sql`
      insert into creditor_spellings (spelling, creditor_id)
      select unnest(${members.map((m) => m.spelling)}::text[]), ${id}::uuid`.execute(db)
  }

  await sql`alter table debts add column creditor_id uuid references creditors (id)`.execute(db)
  await sql`
    update debts d set creditor_id = s.creditor_id from creditor_spellings s where s.spelling = d.creditor`.execute(db)
  await sql`alter table debts alter column creditor_id set not null`.execute(db)
  await sql`create index debts_creditor on debts (creditor_id, id)`.execute(db)

  await sql`alter table debt_imports add column creditors_created jsonb not null default '[]'`.execute(db)

  await sql`alter table events add column creditor_id uuid references creditors (id)`.execute(db)
  await sql`
    update events e set creditor_id = s.creditor_id from creditor_spellings s where s.spelling = e.creditor`.execute(db)
  await sql`alter table events add constraint events_partner_creditor check ((creditor_id is null) = (creditor is null))`
    .execute(db)
  await sql`drop index events_creditor`.execute(db)
  await sql`create index events_creditor on events (creditor_id, id) where creditor_id is not null`.execute(db)

  // partner keys and webhook endpoints: creditor ids in `creditors`, in the order given, each once
  const idsOf = (column: string): RawBuilder<unknown> => sql`(
    select coalesce(array_agg(creditor_id order by first), '{}') from (
      select s.creditor_id, min(n) as first
        from unnest(${sql.ref(column)}) with ordinality as c (spelling, n)
        join creditor_spellings s on s.spelling = c.spelling
       group by s.creditor_id) ids)`
  await sql`alter table api_keys drop constraint api_keys_partner_creditors`.execute(db)
  await sql`alter table api_keys add column creditor_ids uuid[]`.execute(db)
  await sql`update api_keys set creditor_ids = ${idsOf('creditors')}`.execute(db)
  await sql`alter table api_keys drop column creditors`.execute(db)
  await sql`alter table api_keys rename column creditor_ids to creditors`.execute(db)
  await sql`alter table api_keys alter column creditors set default '{}', alter column creditors set not null`
    .execute(db)
  await sql`
    alter table api_keys add constraint api_keys_partner_creditors check (
      (not ('partner' = any (scopes)) or cardinality(creditors) > 0)
      and ('partner' = any (scopes) or cardinality(creditors) = 0)
      and cardinality(creditors) <= 100)`.execute(db)

  await sql`alter table webhook_endpoints drop constraint webhook_endpoints_scope`.execute(db)
  await sql`alter table webhook_endpoints add column creditor_ids uuid[]`.execute(db)
  await sql`update webhook_endpoints set creditor_ids = ${idsOf('creditors')} where creditors is not null`.execute(db)
  await sql`alter table webhook_endpoints drop column creditors`.execute(db)
  await sql`alter table webhook_endpoints rename column creditor_ids to creditors`.execute(db)
  await sql`
    alter table webhook_endpoints add constraint webhook_endpoints_scope check ((owner_key_id is null) = (creditors is null))`
    .execute(db)

  // claims accounts by creditor id; accounts folding to one creditor keep their own lines under suffixed keys
  await sql`alter table ledger_accounts add column creditor_id uuid references creditors (id)`.execute(db)
  await sql`
    create or replace function ledger_accounts_guard() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        if new.balance <> 0 then
          raise exception 'a ledger account starts at zero' using errcode = 'P0001';
        end if;
        return new;
      end if;
      if new.key <> old.key or new.kind <> old.kind or new.debt_id is distinct from old.debt_id
         or new.payment_id is distinct from old.payment_id or new.creditor is distinct from old.creditor
         or new.creditor_id is distinct from old.creditor_id then
        raise exception 'a ledger account''s identity never changes' using errcode = 'P0001';
      end if;
      if new.balance <> old.balance and pg_trigger_depth() < 2 then
        raise exception 'balances move only through ledger lines' using errcode = 'P0001';
      end if;
      return new;
    end $$`.execute(db)
  await sql`alter table ledger_accounts disable trigger ledger_accounts_guard`.execute(db)
  await sql`
    update ledger_accounts a set creditor_id = r.creditor_id,
           key = 'claims:cred_' || replace(r.creditor_id::text, '-', '') || case when r.n = 1 then '' else ':' || r.n end
      from (select a.id, s.creditor_id, row_number() over (partition by s.creditor_id order by a.key) as n
              from ledger_accounts a join creditor_spellings s on s.spelling = a.creditor
             where a.kind = 'claims') r
     where a.id = r.id`.execute(db)
  await sql`alter table ledger_accounts enable trigger ledger_accounts_guard`.execute(db)
  await sql`drop trigger ledger_accounts_guard on ledger_accounts`.execute(db)
  await sql`
    create trigger ledger_accounts_guard before update on ledger_accounts for each row
      when (new.key <> old.key or new.kind <> old.kind or new.debt_id is distinct from old.debt_id
            or new.payment_id is distinct from old.payment_id or new.creditor is distinct from old.creditor
            or new.creditor_id is distinct from old.creditor_id
            or (new.balance <> old.balance and pg_trigger_depth() < 1))
      execute function ledger_accounts_guard()`.execute(db)
  await sql`alter table ledger_accounts drop constraint ledger_accounts_owner`.execute(db)
  await sql`
    alter table ledger_accounts add constraint ledger_accounts_owner check (
      (kind in ('receivable', 'overpaid')) = (debt_id is not null)
      and (kind = 'overpaid') = (payment_id is not null)
      and (kind = 'claims') = (creditor_id is not null)
      and (kind = 'claims' or creditor is null))`.execute(db)
  await sql`create index ledger_accounts_claims_creditor on ledger_accounts (creditor_id) where kind = 'claims'`
    .execute(db)
  await sql`drop table creditor_spellings`.execute(db)
}
