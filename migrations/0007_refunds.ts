import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

export async function up (db: Kysely<any>): Promise<void> {
  // offer cl. 5: a refund only on the client's written request, after the
  // agency's official answer. `open` is true while the request is submitted,
  // or approved with its refund unfinished: at most one per payment.
  await db.schema.createTable('refund_requests')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('payment_id', 'uuid', (c) => c.notNull().references('payments.id'))
    .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount > 0`))
    .addColumn('reason_encrypted', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('submitted').check(sql`status in ('submitted', 'approved', 'rejected')`))
    .addColumn('open', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('response_text', 'text')
    .addColumn('decided_at', 'timestamptz')
    .addColumn('decided_by_key_id', 'uuid', (c) => c.references('api_keys.id'))
    .addColumn('due_at', 'date')
    .addColumn('overdue', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('refund_requests_decided', sql`(status = 'submitted') = (decided_at is null)`)
    .execute()
  await sql`create unique index refund_requests_one_open on refund_requests (payment_id) where open`.execute(db)
  await db.schema.createIndex('refund_requests_status').on('refund_requests').columns(['status', 'created_at']).execute()

  // Money going back to the card it came from (revoke.php): no destination
  // column exists at all. A return (offer cl. 8) has no client request.
  await db.schema.createTable('refunds')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('payment_id', 'uuid', (c) => c.notNull().references('payments.id'))
    .addColumn('refund_request_id', 'uuid', (c) => c.references('refund_requests.id').unique())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('refund', 'return')`))
    .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount > 0`))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending').check(sql`status in ('pending', 'succeeded', 'failed')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('bank_refund_id', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('completed_at', 'timestamptz')
    .addCheckConstraint('refunds_kind_request', sql`(kind = 'refund') = (refund_request_id is not null)`)
    .execute()
  await db.schema.createIndex('refunds_payment').on('refunds').column('payment_id').execute()

  // The invariant in the database too: what is being or has been refunded
  // never exceeds what was paid, whatever the application does. BEFORE the
  // row is written, the payment row is locked (ahead of the foreign-key
  // check's share lock, which would otherwise deadlock concurrent writers),
  // so writers for one payment take turns and each sees the others' sums.
  await sql`
    create function refunds_within_payment() returns trigger language plpgsql as $$
    declare
      paid bigint;
      others bigint;
    begin
      if new.status = 'failed' then
        return new;
      end if;
      select amount into paid from payments where id = new.payment_id for update;
      select coalesce(sum(amount), 0) into others from refunds
       where payment_id = new.payment_id and status <> 'failed' and id <> new.id;
      if others + new.amount > paid then
        raise exception 'refunds of payment % exceed its amount', new.payment_id using errcode = 'check_violation';
      end if;
      return new;
    end $$`.execute(db)
  await sql`create trigger refunds_within_payment before insert or update on refunds
    for each row execute function refunds_within_payment()`.execute(db)
}
