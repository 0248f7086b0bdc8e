import t from 'tap'
import fc from 'fast-check'
import {
  KZ_NON_WORKING_DAYS_SEED,
  addBusinessDays,
  almatyDate,
  calendarFromRows,
  isWorkingDay
} from '../../src/lib/calendar.js'

const kz = calendarFromRows(KZ_NON_WORKING_DAYS_SEED)
const DAY_MS = 86_400_000

function dateOf (epochDay: number): string {
  return new Date(epochDay * DAY_MS).toISOString().slice(0, 10)
}

function epochDayOf (date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / DAY_MS
}

function workingDaysBetween (from: string, to: string): number {
  let count = 0
  for (let day = epochDayOf(from) + 1; day <= epochDayOf(to); day++) {
    if (isWorkingDay(dateOf(day), kz)) count++
  }
  return count
}

const startDate = fc.integer({ min: epochDayOf('2024-01-01'), max: epochDayOf('2027-12-31') }).map(dateOf)
const businessDays = fc.integer({ min: 0, max: 40 })

t.test('the worked deadlines of kz-holidays.md come out right', async (t) => {
  t.equal(addBusinessDays('2026-03-19', 5, kz), '2026-03-31', 'Nauryz week is skipped')
  t.equal(addBusinessDays('2026-04-30', 5, kz), '2026-05-12', 'May holidays and Victory Day observed are skipped')
  t.equal(addBusinessDays('2025-12-29', 5, kz), '2026-01-08', 'the count crosses New Year and Orthodox Christmas')
  t.equal(addBusinessDays('2026-03-19', 30, kz), '2026-05-06')
  t.equal(addBusinessDays('2026-03-19', 0, kz), '2026-03-19', 'zero days is the decision date itself')
  t.equal(addBusinessDays('2026-03-20', 1, kz), '2026-03-26', 'count starts the next day')
})

t.test('a decree moves a day off and makes a weekend day working', async (t) => {
  t.ok(isWorkingDay('2024-05-04', kz), 'Saturday 2024-05-04 was a working day')
  t.notOk(isWorkingDay('2024-05-08', kz), 'its day off moved to Wednesday 2024-05-08')
  t.ok(isWorkingDay('2025-01-05', kz), 'Sunday 2025-01-05 was a working day')
  t.notOk(isWorkingDay('2025-01-03', kz))
  t.notOk(isWorkingDay('2024-05-05', kz), 'an ordinary Sunday is not')
  t.ok(isWorkingDay('2024-05-06', kz), 'an ordinary Monday is')
  t.equal(addBusinessDays('2024-05-03', 1, kz), '2024-05-04')
})

t.test('2026-08-31 is left out of the seed: the new constitution dropped it', async (t) => {
  t.ok(isWorkingDay('2026-08-31', kz))
  t.notOk(KZ_NON_WORKING_DAYS_SEED.some((row) => row.date === '2026-08-31'))
})

t.test('the seed is consistent with the calendar rules', async (t) => {
  const dates = KZ_NON_WORKING_DAYS_SEED.map((row) => row.date)
  t.same(dates, [...dates].sort(), 'ordered by date')
  t.equal(new Set(dates).size, dates.length, 'no date twice')
  t.ok(dates.every((date) => date >= '2024-01-01' && date <= '2027-12-31'), 'covers 2024-2027 only')
  for (const row of KZ_NON_WORKING_DAYS_SEED) {
    const weekday = new Date(`${row.date}T00:00:00Z`).getUTCDay()
    const weekend = weekday === 0 || weekday === 6
    if (row.kind === 'working') t.ok(weekend, `${row.date} made working is a weekend day`)
    if (row.kind === 'observed' || row.kind === 'decree') t.notOk(weekend, `${row.date} ${row.kind} is a weekday`)
  }
  t.same(KZ_NON_WORKING_DAYS_SEED.filter((row) => row.kind === 'working').map((row) => row.date), ['2024-05-04', '2025-01-05'])
  t.same(KZ_NON_WORKING_DAYS_SEED.filter((row) => row.name === 'Kurban Ait').map((row) => row.date),
    ['2024-06-16', '2025-06-06', '2026-05-27', '2027-05-16'])
})

t.test('the deadline is a working day', async () => {
  fc.assert(fc.property(startDate, fc.integer({ min: 1, max: 40 }), (date, n) =>
    isWorkingDay(addBusinessDays(date, n, kz), kz)))
})

t.test('exactly n working days lie after the decision up to the deadline', async () => {
  fc.assert(fc.property(startDate, businessDays, (date, n) =>
    workingDaysBetween(date, addBusinessDays(date, n, kz)) === n))
})

t.test('more business days never give an earlier deadline', async () => {
  fc.assert(fc.property(startDate, businessDays, businessDays, (date, a, b) => {
    fc.pre(a !== b)
    const [n1, n2] = a < b ? [a, b] : [b, a]
    return addBusinessDays(date, n1, kz) < addBusinessDays(date, n2, kz)
  }))
})

t.test('bad input is refused, never guessed', async (t) => {
  for (const bad of ['2026-02-30', '2026-13-01', '2026-3-19', '19.03.2026', '', '0050-01-01', '2026-03-19T00:00']) {
    t.throws(() => addBusinessDays(bad, 1, kz), RangeError, `refuses date ${JSON.stringify(bad)}`)
    t.throws(() => isWorkingDay(bad, kz), RangeError)
  }
  for (const n of [-1, 1.5, 3661, Number.NaN, Infinity]) {
    t.throws(() => addBusinessDays('2026-03-19', n, kz), RangeError, `refuses n = ${n}`)
  }
  t.equal(addBusinessDays('2026-03-19', 3660, kz) > '2040-01-01', true, 'the largest n is accepted')
  t.throws(() => addBusinessDays('9999-12-31', 1, kz), RangeError, 'no dates past year 9999')
  t.throws(() => calendarFromRows([{ date: '2026-02-29', kind: 'holiday' }]), RangeError)
})

t.test('the Almaty date of an instant', async (t) => {
  t.equal(almatyDate(new Date('2026-03-19T20:30:00Z')), '2026-03-20', 'UTC+5: 01:30 next day in Almaty')
  t.equal(almatyDate(new Date('2026-03-19T18:59:59Z')), '2026-03-19')
  t.equal(almatyDate(new Date('2024-02-28T18:30:00Z')), '2024-02-29', 'UTC+6 before the 2024-03-01 switch')
  t.throws(() => almatyDate(new Date('nope')), RangeError)
})

t.test('since 2024-03-01 Almaty is UTC+5', async () => {
  const from = Date.parse('2024-03-01T00:00:00Z')
  const to = Date.parse('2030-01-01T00:00:00Z')
  fc.assert(fc.property(fc.integer({ min: from, max: to }), (ms) =>
    almatyDate(new Date(ms)) === new Date(ms + 5 * 3_600_000).toISOString().slice(0, 10)))
})
