import t from 'tap'
import fc from 'fast-check'
import { iinCheckDigit, isValidBin, isValidIin, validateIin } from '../../src/lib/iin.js'

// Vectors from shared/testdata/iin-vectors.md
const VALID_IINS = [
  { iin: '871008401427', birthDate: '1987-10-08', sex: 'female' },
  { iin: '760212350620', birthDate: '1976-02-12', sex: 'male' },
  { iin: '800416300257', birthDate: '1980-04-16', sex: 'male' },
  { iin: '680503450037', birthDate: '1968-05-03', sex: 'female' },
  // valid only on the second weighting pass
  { iin: '830717350867', birthDate: '1983-07-17', sex: 'male' }
] as const
const VALID_BINS = ['940140000385', '961141000023']

/** Completes 11 digits with their check digit, trying serials until one has one. */
function withCheckDigit (first7: string): string {
  for (let serial = 0; serial < 10000; serial++) {
    const first11 = first7 + String(serial).padStart(4, '0')
    const check = iinCheckDigit(first11)
    if (check !== null) return first11 + String(check)
  }
  throw new Error(`no check digit for ${first7}`)
}

t.test('a debtor with a real IIN is recognised, with birth date and sex', async (t) => {
  for (const { iin, birthDate, sex } of VALID_IINS) {
    t.same(validateIin(iin), { ok: true, iin, birthDate, sex }, iin)
    t.equal(isValidIin(iin), true)
    t.equal(isValidBin(iin), true, 'an IIN also has a valid BIN checksum')
  }
})

t.test('a BIN is a valid number for the agency but never a debtor IIN', async (t) => {
  for (const bin of VALID_BINS) {
    t.equal(isValidBin(bin), true, bin)
    t.equal(isValidIin(bin), false, bin)
    // digit 7 of both vectors is 0, checked before the date
    t.same(validateIin(bin), { ok: false, reason: 'century' })
  }
  // a BIN whose digit 7 happens to look like a century still has no day
  const bin = withCheckDigit('9401403')
  t.equal(isValidBin(bin), true)
  t.same(validateIin(bin), { ok: false, reason: 'birth_date' })
})

t.test('wrong numbers are refused with the reason', async (t) => {
  t.same(validateIin('821214240092'), { ok: false, reason: 'checksum' }, 'both passes give 10')
  t.equal(iinCheckDigit('82121424009'), null)
  t.equal(isValidBin('821214240092'), false)
  t.same(validateIin('940140000380'), { ok: false, reason: 'checksum' })
  t.equal(isValidBin('940140000380'), false)
  t.same(validateIin('871008401428'), { ok: false, reason: 'checksum' })
  for (const bad of ['12345', '12345678901X', '', ' 871008401427', '871008401427 ',
    '8710084014270', '87100840142', '８７１００８４０１４２７', '871 008 401 427', '-71008401427']) {
    t.same(validateIin(bad), { ok: false, reason: 'format' }, `format: ${JSON.stringify(bad)}`)
    t.equal(isValidBin(bad), false)
  }
})

t.test('the check digit is computed only for 11 ASCII digits', async (t) => {
  t.equal(iinCheckDigit('87100840142'), 7)
  t.equal(iinCheckDigit('83071735086'), 7, 'second pass')
  for (const bad of ['', '8710084014', '871008401427', '8710084014X', '８７１００８４０１４２']) {
    t.equal(iinCheckDigit(bad), null, JSON.stringify(bad))
  }
})

t.test('digit 7 must name a century', async (t) => {
  for (const digit of ['0', '7', '8', '9']) {
    t.same(validateIin(withCheckDigit('871008' + digit)), { ok: false, reason: 'century' }, digit)
  }
  t.match(validateIin(withCheckDigit('8710081')), { ok: true, birthDate: '1887-10-08', sex: 'male' })
  t.match(validateIin(withCheckDigit('8710082')), { ok: true, birthDate: '1887-10-08', sex: 'female' })
  t.match(validateIin(withCheckDigit('0710085')), { ok: true, birthDate: '2007-10-08', sex: 'male' })
  t.match(validateIin(withCheckDigit('0710086')), { ok: true, birthDate: '2007-10-08', sex: 'female' })
})

t.test('the birth date must exist in the calendar of its century', async (t) => {
  t.match(validateIin(withCheckDigit('0002295')), { ok: true, birthDate: '2000-02-29' })
  t.same(validateIin(withCheckDigit('0002293')), { ok: false, reason: 'birth_date' }, '1900 is no leap year')
  t.same(validateIin(withCheckDigit('0002291')), { ok: false, reason: 'birth_date' }, '1800 is no leap year')
  t.match(validateIin(withCheckDigit('9602293')), { ok: true, birthDate: '1996-02-29' })
  t.same(validateIin(withCheckDigit('9702293')), { ok: false, reason: 'birth_date' })
  t.same(validateIin(withCheckDigit('8704313')), { ok: false, reason: 'birth_date' }, 'April has 30 days')
  t.match(validateIin(withCheckDigit('8712313')), { ok: true, birthDate: '1987-12-31' })
  for (const yymmdd of ['870001', '871301', '870100', '870132']) {
    t.same(validateIin(withCheckDigit(yymmdd + '3')), { ok: false, reason: 'birth_date' }, yymmdd)
  }
})

const CENTURY_DIGITS = { 18: ['1', '2'], 19: ['3', '4'], 20: ['5', '6'] } as const

// A birth date from the JS calendar, a matching century digit and a serial.
const iinParts = fc.record({
  birth: fc.date({
    min: new Date('1800-01-01T00:00:00Z'),
    max: new Date('2099-12-31T23:59:59Z'),
    noInvalidDate: true
  }),
  female: fc.boolean(),
  serial: fc.integer({ min: 0, max: 9999 })
}).map(({ birth, female, serial }) => {
  const iso = birth.toISOString().slice(0, 10)
  const century = Math.floor(birth.getUTCFullYear() / 100) as 18 | 19 | 20
  const centuryDigit = CENTURY_DIGITS[century][female ? 1 : 0]
  const first11 = iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10) +
    centuryDigit + String(serial).padStart(4, '0')
  return { first11, birthDate: iso, sex: female ? 'female' : 'male' }
})

t.test('any real birth date, century and serial with its check digit is a valid IIN', async () => {
  fc.assert(fc.property(iinParts, ({ first11, birthDate, sex }) => {
    const check = iinCheckDigit(first11)
    if (check === null) return true
    const iin = first11 + String(check)
    const result = validateIin(iin)
    return result.ok && result.iin === iin && result.birthDate === birthDate && result.sex === sex
  }), { numRuns: 2000 })
})

t.test('a valid IIN with any other check digit is refused', async () => {
  fc.assert(fc.property(iinParts, fc.integer({ min: 0, max: 9 }), ({ first11 }, other) => {
    const check = iinCheckDigit(first11)
    fc.pre(check !== null && check !== other)
    return !isValidIin(first11 + String(other)) && !isValidBin(first11 + String(other))
  }), { numRuns: 2000 })
})
