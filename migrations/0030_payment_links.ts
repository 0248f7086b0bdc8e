import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

/**
 * DESIGN 17: payment links. An operator or a partner makes a link to one debt, printed in a letter; whoever holds
 * it may pay that debt without typing the contract number and IIN (the letter proves possession).
 *
 * - The token is random (at least 128 bits) and shown once: only its SHA-256 is kept (`token_hash`), so a database
 *   dump opens no link. A random token needs no salt and no slow hash.
 * - A link may fix the amount (`amount`, tiyn); it ends at `expires_at` or when revoked (`revoked_at`), never
 *   deleted: the acceptances made through it keep naming it.
 * - An acceptance made through a link names it (`acceptances.payment_link_id`), so the payment that follows is held
 *   to the amount the link fixes.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    create table payment_links (
      id uuid primary key,
      debt_id uuid not null references debts (id),
      token_hash text not null constraint payment_links_token_hash unique check (token_hash ~ '^[0-9a-f]{64}$'),
      amount bigint check (amount > 0),
      expires_at timestamptz not null,
      revoked_at timestamptz,
      created_by_key_id uuid references api_keys (id),
      created_at timestamptz not null default now()
    )`.execute(db)
  // a debt's links, in id order (the list's cursor)
  await sql`create index payment_links_debt on payment_links (debt_id, id)`.execute(db)
  await sql`alter table acceptances add column payment_link_id uuid references payment_links (id)`.execute(db)
}
