import t from 'tap'
import fc from 'fast-check'
import { normalizeKzPhone } from '../../src/lib/phone.js'

t.test('the ways people write a Kazakhstan number all become E.164', async (t) => {
  for (const typed of [
    '+7 701 234 56 78', '+77012345678', '87012345678', '8 (701) 234-56-78',
    '7 701 234 56 78', '77012345678', '8.701.234.56.78', '+7 (701) 234-56-78',
    '8-701-234-56-78', '+7\u00a0701\u00a0234\u00a056\u00a078'
  ]) {
    t.same(normalizeKzPhone(typed), { ok: true, e164: '+77012345678' }, JSON.stringify(typed))
  }
  t.same(normalizeKzPhone('8 747 123 45 67'), { ok: true, e164: '+77471234567' })
  t.same(normalizeKzPhone('8 (727) 250-00-00'), { ok: true, e164: '+77272500000' }, 'Almaty landline')
  t.same(normalizeKzPhone('+7 7172 55 55 55'), { ok: true, e164: '+77172555555' }, 'Astana landline')
})

t.test('Russian and other foreign numbers are told apart from typos', async (t) => {
  for (const foreign of ['+7 916 123 45 67', '8 (495) 123-45-67', '+7 812 123 45 67',
    '7 343 123 45 67', '+998 90 123 45 67', '+44 20 7946 0958']) {
    t.same(normalizeKzPhone(foreign), { ok: false, reason: 'not_kazakhstan' }, foreign)
  }
})

t.test('anything else is a format error', async (t) => {
  for (const bad of [
    '', '+', '+7', '701 234 56 78', '7012345678', '+7 701 234 56 7', '+7 701 234 56 789',
    '8 701 234 56 7', '9 701 234 56 78', '+7 601 234 56 78', '+7 501 234 56 78',
    '+7 001 234 56 78', '+7 201 234 56 78', '7+7012345678', '+7 701 234 56 78 ext 1',
    '+7/701/234/56/78', '++77012345678', '+1 23', '+1234567890123456', '８７０１２３４５６７８'
  ]) {
    t.same(normalizeKzPhone(bad), { ok: false, reason: 'format' }, JSON.stringify(bad))
  }
})

const kzNational = fc.tuple(
  fc.constantFrom('70', '74', '75', '76', '77', '71', '72'),
  fc.stringMatching(/^[0-9]{8}$/)
).map(([prefix, rest]) => prefix + rest)

const separator = fc.constantFrom('', ' ', '-', '.', '  ')

// +7 / 8 / 7, then the national number cut as people cut it
function written (national: string, lead: string, seps: string[], brackets: boolean): string {
  const [s1 = '', s2 = '', s3 = '', s4 = ''] = seps
  const area = brackets ? `(${national.slice(0, 3)})` : national.slice(0, 3)
  return `${lead}${s1}${area}${s2}${national.slice(3, 6)}${s3}${national.slice(6, 8)}${s4}${national.slice(8)}`
}

t.test('every way of writing one number normalises to the same E.164, and E.164 to itself', async () => {
  fc.assert(fc.property(
    kzNational,
    fc.constantFrom('+7', '8', '7'),
    fc.array(separator, { minLength: 4, maxLength: 4 }),
    fc.boolean(),
    (national, lead, seps, brackets) => {
      const result = normalizeKzPhone(written(national, lead, seps, brackets))
      if (!result.ok) return false
      const again = normalizeKzPhone(result.e164)
      return result.e164 === `+7${national}` && again.ok && again.e164 === result.e164
    }))
})

t.test('a +7 number outside the 7 range is never taken for a Kazakhstan one', async () => {
  fc.assert(fc.property(fc.stringMatching(/^[3489][0-9]{9}$/), fc.constantFrom('+7', '8', '7'),
    (national, lead) => {
      const result = normalizeKzPhone(lead + national)
      return !result.ok && result.reason === 'not_kazakhstan'
    }))
})
