import t from 'tap'
import fc from 'fast-check'
import { containsCardNumber, luhnValid } from '../../src/lib/card-data.js'

// Written apart from the code under test, so the properties check it.
function luhnCheckDigit (payload: string): string {
  let sum = 0
  for (let i = 0; i < payload.length; i++) {
    const digit = Number(payload[payload.length - 1 - i])
    const doubled = i % 2 === 0 ? digit * 2 : digit
    sum += doubled > 9 ? doubled - 9 : doubled
  }
  return String((10 - sum % 10) % 10)
}

function nested (levels: number, inner: unknown): unknown {
  let value = inner
  for (let i = 0; i < levels; i++) value = [value]
  return value
}

t.test('Luhn accepts test cards and refuses their typos', async (t) => {
  for (const card of ['4111111111111111', '4000000000000002', '5555555555554444', '4222222222222', '0', '18']) {
    t.equal(luhnValid(card), true, card)
  }
  for (const bad of ['4111111111111112', '5555555555554445', '', '4111 1111 1111 1111', '411111111111111x', '١٨']) {
    t.equal(luhnValid(bad), false, JSON.stringify(bad))
  }
})

t.test('a card number anywhere in a body is found', async (t) => {
  const shapes = [
    '4111 1111 1111 1111', '4111-1111-1111-1111', '4111111111111111', '4000 0000 0000 0002',
    '5555555555554444', '5555 5555-5555 4444', 'my card is 4111 1111 1111 1111, exp 12/25',
    'card:4000000000000002.', '4222222222222', `4${'0'.repeat(17)}${luhnCheckDigit(`4${'0'.repeat(17)}`)}`
  ]
  for (const shape of shapes) {
    t.equal(containsCardNumber(shape), true, shape)
    t.equal(containsCardNumber({ payer: { fullName: 'Ivan', note: shape } }), true, `nested: ${shape}`)
    t.equal(containsCardNumber([1, 'a', [{ deep: [shape] }]]), true, `in arrays: ${shape}`)
    t.equal(containsCardNumber({ [shape]: 'key' }), true, `as a key: ${shape}`)
  }
  t.equal(containsCardNumber(4111111111111111), true, 'a JSON number')
  t.equal(containsCardNumber({ pan: 5555555555554444 }), true)
  t.equal(containsCardNumber(-4111111111111111), true)
})

t.test('what a payments body legitimately holds is not a card', async (t) => {
  const body = {
    iin: '871008401427',
    phone: '+77012345678',
    phoneAsTyped: '+7 701 234 56 78',
    iban: 'KZ58551A127100213KZT',
    ibanSpaced: 'KZ58 551A 1271 0021 3KZT',
    bin: '940140000385',
    wrongCard: '4111 1111 1111 1112',
    uuid: '123e4567-e89b-12d3-a456-426614174000',
    digitUuid: '12345678-1234-1234-1234-123456789012',
    amount: 150000,
    when: '2024-01-15T10:30:00Z',
    contractNumber: 'KZ-2024/000123',
    consent: true,
    returnUrl: null
  }
  t.equal(containsCardNumber(body), false)
  for (const value of Object.values(body)) t.equal(containsCardNumber(value), false, String(value))
  t.equal(containsCardNumber(undefined), false)
  t.equal(containsCardNumber([]), false)
  t.equal(containsCardNumber({}), false)
})

t.test('only a maximal run of 13-19 digits counts', async (t) => {
  t.equal(containsCardNumber('0000' + '4111111111111111'), false, '20 digits, Luhn-valid still')
  t.equal(containsCardNumber('4111 1111 1111 1111 0000'), false, 'run continues through single spaces')
  t.equal(containsCardNumber('4111  1111 1111 1111'), false, 'a double space ends the run')
  t.equal(containsCardNumber('4111 -1111-1111-1111'), false, 'so does a space and a dash')
  t.equal(containsCardNumber('4111.1111.1111.1111'), false, 'dots are no card separator')
  t.equal(containsCardNumber('4111 1111 1111 1111 '), true, 'a trailing space is no separator')
  t.equal(containsCardNumber('-4111-1111-1111-1111-'), true)
  t.equal(containsCardNumber('422222222222'), false, '12 digits')
})

t.test('numbers count only as JSON can carry them exactly', async (t) => {
  // eslint-disable-next-line no-loss-of-precision -- the point: JSON.parse has already rounded it
  t.equal(containsCardNumber(9007199254740993), false, 'beyond 2^53: rounded by JSON.parse')
  t.equal(containsCardNumber(4111111111111.5), false)
  t.equal(containsCardNumber(Number.NaN), false)
})

t.test('nesting is followed 64 levels deep and no further', async (t) => {
  t.equal(containsCardNumber(nested(64, '4111111111111111')), true)
  t.equal(containsCardNumber(nested(65, '4111111111111111')), false)
  t.equal(containsCardNumber(nested(100_000, '4111111111111111')), false, 'no stack overflow')
  const cyclic: Record<string, unknown> = { note: 'hello' }
  cyclic.self = cyclic
  cyclic.list = [cyclic]
  t.equal(containsCardNumber(cyclic), false, 'a cycle ends')
})

t.test('a large body is scanned in one pass', async (t) => {
  const digits = '1 '.repeat(2_000_000)
  const many = Array.from({ length: 100_000 }, (_, i) => ({ [`k${i}`]: `note ${i}: 4111-1111` }))
  t.equal(containsCardNumber({ digits, many }), false)
  t.equal(containsCardNumber([digits, 'x 4111111111111111 y']), true)
})

const sixteenDigitCard = fc.stringMatching(/^[0-9]{15}$/).map((payload) => payload + luhnCheckDigit(payload))
// Anything that is not part of a Latin word or an id (punctuation, Cyrillic text),
// and not a space or dash, which would join the card to a neighbouring number.
const letter = fc.constantFrom(':', ',', '(', ')', '«', '»', 'Я', 'ә', '\n', '/', '#')

t.test('any Luhn-valid 16 digits set apart from words in any text are found', async () => {
  fc.assert(fc.property(fc.string(), letter, sixteenDigitCard, letter, fc.string(),
    (before, left, card, right, after) =>
      containsCardNumber(`${before}${left}${card}${right}${after}`) &&
      containsCardNumber({ note: [`${left}${card}${right}`] })))
})

t.test('a 16-digit run failing Luhn is never found', async () => {
  fc.assert(fc.property(sixteenDigitCard, fc.integer({ min: 1, max: 9 }), (card, shift) => {
    const wrong = card.slice(0, 15) + String((Number(card[15]) + shift) % 10)
    return !containsCardNumber(`x${wrong}x`)
  }))
})

t.test('our own ids and hex tokens are never card data, however their digits fall', async (t) => {
  t.equal(containsCardNumber('pay_4111111111111111aaaaaaaaaaaaaaaa'), false, 'a digit run inside an id')
  t.equal(containsCardNumber('x4111111111111111'), false, 'glued to a letter before')
  t.equal(containsCardNumber('4111111111111111x'), false, 'glued to a letter after')
  t.equal(containsCardNumber('card: 4111111111111111.'), true, 'punctuation is a boundary')
  fc.assert(fc.property(fc.constantFrom('pay', 'acc', 'debt', 'rfr', 'prv'), fc.stringMatching(/^[0-9a-f]{32}$/), (prefix, hex) =>
    !containsCardNumber(`${prefix}_${hex}`) && !containsCardNumber({ acceptanceId: `${prefix}_${hex}` })))
  // even with 21 digits in a row
  fc.assert(fc.property(fc.stringMatching(/^[0-9]{10}[a-f][0-9]{21}$/), (hex) => !containsCardNumber(`pay_${hex}`)))
})
