import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports application code.

/**
 * The Kazakhstan business-day calendar (docs/architecture.md, Kazakhstan specifics) as data that
 * operators edit: holidays, observed days and decree days off, plus 'working'
 * rows for the weekend days a decree made working days. Deadlines such as
 * the refund term (offer cl. 5) and the end of processing after consent is
 * withdrawn (offer cl. 16) are counted against this table.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await db.schema.createTable('non_working_days')
    .addColumn('date', 'date', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('holiday', 'observed', 'decree', 'working')`))
    .addColumn('name', 'text', (c) => c.notNull().check(sql`length(name) between 1 and 200`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // a weekday is already a working day: a 'working' row there would be
    // silently meaningless, so only a Saturday or Sunday may carry one
    .addCheckConstraint('non_working_days_working_on_weekend', sql`kind <> 'working' or extract(isodow from date) in (6, 7)`)
    .execute()

  await db.insertInto('non_working_days').values([...SEED]).execute()
}

/**
 * A verbatim copy of KZ_NON_WORKING_DAYS_SEED (src/lib/calendar.ts, from
 * shared/testdata/kz-holidays.md) as it stood when this migration was
 * written; later changes to either are new migrations or operator edits.
 */
const SEED: ReadonlyArray<{ date: string, kind: string, name: string }> = [
  { date: '2024-01-01', kind: 'holiday', name: 'New Year' },
  { date: '2024-01-02', kind: 'holiday', name: 'New Year' },
  { date: '2024-01-07', kind: 'holiday', name: 'Orthodox Christmas' },
  { date: '2024-03-08', kind: 'holiday', name: 'International Women\'s Day' },
  { date: '2024-03-21', kind: 'holiday', name: 'Nauryz' },
  { date: '2024-03-22', kind: 'holiday', name: 'Nauryz' },
  { date: '2024-03-23', kind: 'holiday', name: 'Nauryz' },
  { date: '2024-03-25', kind: 'observed', name: 'Nauryz (observed)' },
  { date: '2024-05-01', kind: 'holiday', name: 'Kazakhstan People\'s Unity Day' },
  { date: '2024-05-04', kind: 'working', name: 'Working Saturday (decree, day off moved to 2024-05-08)' },
  { date: '2024-05-07', kind: 'holiday', name: 'Defender of the Fatherland Day' },
  { date: '2024-05-08', kind: 'decree', name: 'Day off moved from Saturday 2024-05-04 (decree)' },
  { date: '2024-05-09', kind: 'holiday', name: 'Victory Day' },
  { date: '2024-06-16', kind: 'holiday', name: 'Kurban Ait' },
  { date: '2024-07-06', kind: 'holiday', name: 'Capital Day' },
  { date: '2024-07-08', kind: 'observed', name: 'Capital Day (observed)' },
  { date: '2024-08-30', kind: 'holiday', name: 'Constitution Day' },
  { date: '2024-10-25', kind: 'holiday', name: 'Republic Day' },
  { date: '2024-12-16', kind: 'holiday', name: 'Independence Day' },

  { date: '2025-01-01', kind: 'holiday', name: 'New Year' },
  { date: '2025-01-02', kind: 'holiday', name: 'New Year' },
  { date: '2025-01-03', kind: 'decree', name: 'Day off moved from Sunday 2025-01-05 (decree)' },
  { date: '2025-01-05', kind: 'working', name: 'Working Sunday (decree, day off moved to 2025-01-03)' },
  { date: '2025-01-07', kind: 'holiday', name: 'Orthodox Christmas' },
  { date: '2025-03-08', kind: 'holiday', name: 'International Women\'s Day' },
  { date: '2025-03-10', kind: 'observed', name: 'International Women\'s Day (observed)' },
  { date: '2025-03-21', kind: 'holiday', name: 'Nauryz' },
  { date: '2025-03-22', kind: 'holiday', name: 'Nauryz' },
  { date: '2025-03-23', kind: 'holiday', name: 'Nauryz' },
  { date: '2025-03-24', kind: 'observed', name: 'Nauryz (observed)' },
  { date: '2025-03-25', kind: 'observed', name: 'Nauryz (observed)' },
  { date: '2025-05-01', kind: 'holiday', name: 'Kazakhstan People\'s Unity Day' },
  { date: '2025-05-07', kind: 'holiday', name: 'Defender of the Fatherland Day' },
  { date: '2025-05-09', kind: 'holiday', name: 'Victory Day' },
  { date: '2025-06-06', kind: 'holiday', name: 'Kurban Ait' },
  { date: '2025-07-06', kind: 'holiday', name: 'Capital Day' },
  { date: '2025-07-07', kind: 'observed', name: 'Capital Day (observed)' },
  { date: '2025-08-30', kind: 'holiday', name: 'Constitution Day' },
  { date: '2025-09-01', kind: 'observed', name: 'Constitution Day (observed)' },
  { date: '2025-10-25', kind: 'holiday', name: 'Republic Day' },
  { date: '2025-10-27', kind: 'observed', name: 'Republic Day (observed)' },
  { date: '2025-12-16', kind: 'holiday', name: 'Independence Day' },

  { date: '2026-01-01', kind: 'holiday', name: 'New Year' },
  { date: '2026-01-02', kind: 'holiday', name: 'New Year' },
  { date: '2026-01-07', kind: 'holiday', name: 'Orthodox Christmas' },
  { date: '2026-03-08', kind: 'holiday', name: 'International Women\'s Day' },
  { date: '2026-03-09', kind: 'observed', name: 'International Women\'s Day (observed)' },
  { date: '2026-03-21', kind: 'holiday', name: 'Nauryz' },
  { date: '2026-03-22', kind: 'holiday', name: 'Nauryz' },
  { date: '2026-03-23', kind: 'holiday', name: 'Nauryz' },
  { date: '2026-03-24', kind: 'observed', name: 'Nauryz (observed)' },
  { date: '2026-03-25', kind: 'observed', name: 'Nauryz (observed)' },
  { date: '2026-05-01', kind: 'holiday', name: 'Kazakhstan People\'s Unity Day' },
  { date: '2026-05-07', kind: 'holiday', name: 'Defender of the Fatherland Day' },
  { date: '2026-05-09', kind: 'holiday', name: 'Victory Day' },
  { date: '2026-05-11', kind: 'observed', name: 'Victory Day (observed)' },
  { date: '2026-05-27', kind: 'holiday', name: 'Kurban Ait' },
  { date: '2026-07-06', kind: 'holiday', name: 'Capital Day' },
  // 2026-08-31 (Constitution Day observed) left out on purpose: early-2026
  // calendars list it, but the new constitution in force 2026-07-01 dropped
  // Aug 30 as a holiday. Sources disagree; operators can add the row back.
  { date: '2026-10-25', kind: 'holiday', name: 'Republic Day' },
  { date: '2026-10-26', kind: 'observed', name: 'Republic Day (observed)' },
  { date: '2026-12-16', kind: 'holiday', name: 'Independence Day' },

  { date: '2027-01-01', kind: 'holiday', name: 'New Year' },
  { date: '2027-01-02', kind: 'holiday', name: 'New Year' },
  { date: '2027-01-04', kind: 'observed', name: 'New Year (observed)' },
  { date: '2027-01-07', kind: 'holiday', name: 'Orthodox Christmas' },
  { date: '2027-03-08', kind: 'holiday', name: 'International Women\'s Day' },
  { date: '2027-03-15', kind: 'holiday', name: 'Constitution Day' },
  { date: '2027-03-21', kind: 'holiday', name: 'Nauryz' },
  { date: '2027-03-22', kind: 'holiday', name: 'Nauryz' },
  { date: '2027-03-23', kind: 'holiday', name: 'Nauryz' },
  { date: '2027-03-24', kind: 'observed', name: 'Nauryz (observed)' },
  { date: '2027-05-01', kind: 'holiday', name: 'Kazakhstan People\'s Unity Day' },
  { date: '2027-05-03', kind: 'observed', name: 'Kazakhstan People\'s Unity Day (observed)' },
  { date: '2027-05-07', kind: 'holiday', name: 'Defender of the Fatherland Day' },
  { date: '2027-05-09', kind: 'holiday', name: 'Victory Day' },
  { date: '2027-05-10', kind: 'observed', name: 'Victory Day (observed)' },
  // estimated: the lunar date is confirmed by decree closer to the day
  { date: '2027-05-16', kind: 'holiday', name: 'Kurban Ait' },
  { date: '2027-07-06', kind: 'holiday', name: 'Capital Day' },
  { date: '2027-10-25', kind: 'holiday', name: 'Republic Day' },
  { date: '2027-12-16', kind: 'holiday', name: 'Independence Day' }
]
