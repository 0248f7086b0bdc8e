import t from 'tap'
import fc from 'fast-check'
import { containsCardNumber, luhnValid } from '../../src/lib/card-data.js'
import { luhnCheckDigit } from '../helpers/cards.js'


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

t.test('separators of every common kind join the groups of a card number', async (t) => {
  const written = [
    '4111.1111.1111.1111', '4111/1111/1111/1111', '4111  1111--1111 1111', '4111 -1111-1111-1111', '4111\\1111\\1111\\1111',
    '4111\u00A01111\u00A01111\u00A01111', '4111\u20071111\u20071111\u20071111', '4111\u202F1111\u202F1111\u202F1111',
    '4111\u2009\u20091111\u20131111\u20141111', '4111\u200B1111\u200B1111\u200B1111', '4111\t1111\t1111\t1111',
    '4111 1111 1111 1111 ', '-4111-1111-1111-1111-', 'card:4111 1111 1111 1111', '３７８２ ８２２４６３ １０００５',
    '4111 1111 1111 1111 12/25 123', 'exp 12/25 4111 1111 1111 1111', '0000 4111 1111 1111 1111',
    '4111 1111 1111 1111 1x', 'A12 4111 1111 1111 1111'
  ]
  for (const text of written) t.equal(containsCardNumber(text), true, JSON.stringify(text))
})

t.test('what only looks near a card is not one', async (t) => {
  t.equal(containsCardNumber('0000' + '4111111111111111'), false, '20 digits in one piece: a reference, not a card')
  t.equal(containsCardNumber('422222222222'), false, '12 digits')
  t.equal(containsCardNumber('4111,1111,1111,1111'), false, 'commas separate numbers')
  t.equal(containsCardNumber('4111\n1111\n1111\n1111'), false, 'so do line breaks')
  t.equal(containsCardNumber('4111:1111:1111:1111'), false, 'and colons')
  t.equal(containsCardNumber('x4111 1111 1111 1111'), false, 'the group glued to a word belongs to the token')
  t.equal(containsCardNumber('KZ12 3456 7890 1234 5678 9'), false, 'a spaced IBAN is skipped whole')
  t.equal(containsCardNumber('1 '.repeat(50)), false, 'no run of ones passes Luhn at 13-19 digits')
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
// and not a separator, which would join the card to a neighbouring number.
const letter = fc.constantFrom(':', ',', '(', ')', '«', '»', 'Я', 'ә', '\n', '#', '!', '"')

t.test('any Luhn-valid 16 digits set apart from words in any text are found', async () => {
  fc.assert(fc.property(fc.string(), letter, sixteenDigitCard, letter, fc.string(),
    (before, left, card, right, after) =>
      containsCardNumber(`${before}${left}${card}${right}${after}`) &&
      containsCardNumber({ note: [`${left}${card}${right}`] })), { seed: 42, numRuns: 500 })
})

t.test('a 16-digit run failing Luhn is never found', async () => {
  fc.assert(fc.property(sixteenDigitCard, fc.integer({ min: 1, max: 9 }), (card, shift) => {
    const wrong = card.slice(0, 15) + String((Number(card[15]) + shift) % 10)
    return !containsCardNumber(`x${wrong}x`) && !containsCardNumber(` ${wrong} `)
  }), { seed: 42, numRuns: 500 })
})

t.test('our own ids and hex tokens are never card data, however their digits fall', async (t) => {
  t.equal(containsCardNumber('pay_4111111111111111aaaaaaaaaaaaaaaa'), false, 'a digit run inside an id')
  t.equal(containsCardNumber('x4111111111111111'), false, 'glued to a letter before')
  t.equal(containsCardNumber('4111111111111111x'), false, 'glued to a letter after')
  t.equal(containsCardNumber('card: 4111111111111111.'), true, 'punctuation is a boundary')
  fc.assert(fc.property(fc.constantFrom('pay', 'acc', 'debt', 'rfr', 'prv'), fc.stringMatching(/^[0-9a-f]{32}$/), (prefix, hex) =>
    !containsCardNumber(`${prefix}_${hex}`) && !containsCardNumber({ acceptanceId: `${prefix}_${hex}` })), { seed: 42, numRuns: 500 })
  // even with 21 digits in a row
  fc.assert(fc.property(fc.stringMatching(/^[0-9]{10}[a-f][0-9]{21}$/), (hex) => !containsCardNumber(`pay_${hex}`)), { seed: 42 })
})

// --- properties over many formats (item: no blind spots, no false positives) ---

const SEPARATORS = [' ', '-', '.', '/', '\\', '\t', '\u00A0', '\u2007', '\u202F', '\u2009', '\u2013', '\u2014', '\u2212', '\u200B', '\u3000']
const pan = fc.integer({ min: 13, max: 19 }).chain((length) =>
  fc.stringMatching(new RegExp(`^[0-9]{${length - 1}}$`)).map((payload) => payload + luhnCheckDigit(payload)))
const separatorRun = fc.array(fc.constantFrom(...SEPARATORS), { minLength: 1, maxLength: 3 }).map((parts) => parts.join(''))

/** A card number cut into groups of random sizes, joined by random separator runs (or none). */
const writtenPan = fc.tuple(
  pan,
  fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 19 }),
  fc.array(separatorRun, { minLength: 19, maxLength: 19 }),
  fc.boolean()
)
  .map(([digits, sizes, separators, contiguous]) => {
    if (contiguous) return digits
    let out = ''
    let at = 0
    for (const [i, size] of sizes.entries()) {
      if (at >= digits.length) break
      out += (i > 0 ? separators[i] : '') + digits.slice(at, at + size)
      at += size
    }
    return out + (at < digits.length ? (separators[0] as string) + digits.slice(at) : '')
  })

t.test('a Luhn-valid PAN of 13-19 digits in any grouping and separators, in any text, is always found', async () => {
  fc.assert(fc.property(fc.string({ maxLength: 40 }), letter, writtenPan, letter, fc.string({ maxLength: 40 }), fc.constantFrom('', ' 12/25', ' 12/25 123', '  exp 0129'),
    (before, left, card, right, after, expiry) => {
      const text = `${before}${left}${card}${expiry}${right}${after}`
      return containsCardNumber(text) && containsCardNumber({ payer: { fullName: 'Иван', note: [text] } }) && containsCardNumber({ [text]: 1 })
    }), { seed: 42, numRuns: 300 })
})

const hex32 = fc.stringMatching(/^[0-9a-f]{32}$/)
const publicId = fc.tuple(fc.constantFrom('off', 'acc', 'debt', 'pay', 'rfr', 'ref', 'prv', 'imp', 'whe', 'evt', 'key'), hex32).map(([p, h]) => `${p}_${h}`)
const ibanText = fc.tuple(fc.stringMatching(/^[0-9]{2}$/), fc.stringMatching(/^[0-9A-Z]{16}$/), fc.boolean())
  .map(([check, rest, spaced]) => {
    const iban = `KZ${check}${rest}`
    return spaced ? (iban.match(/.{1,4}/g) as string[]).join(' ') : iban
  })
const phone = fc.tuple(fc.constantFrom('+7', '8', '+7 ', '8 '), fc.stringMatching(/^7[0-9]{9}$/), fc.constantFrom('plain', 'spaced', 'dashed', 'brackets'))
  .map(([country, rest, style]) => {
    if (style === 'plain') return `${country}${rest}`
    if (style === 'brackets') return `${country}(${rest.slice(0, 3)}) ${rest.slice(3, 6)}-${rest.slice(6, 8)}-${rest.slice(8)}`
    const sep = style === 'spaced' ? ' ' : '-'
    return `${country}${rest.slice(0, 3)}${sep}${rest.slice(3, 6)}${sep}${rest.slice(6, 8)}${sep}${rest.slice(8)}`
  })
const iin = fc.stringMatching(/^[0-9]{12}$/)
const amount = fc.integer({ min: 1, max: 999_999_999_999 })
const tenge = fc.tuple(fc.integer({ min: 1, max: 100_000_000 }), fc.integer({ min: 0, max: 99 }))
  .map(([major, minor]) => `${major.toLocaleString('ru-RU')},${String(minor).padStart(2, '0')} ₸`)
const email = fc.tuple(fc.oneof(pan, fc.stringMatching(/^[a-z][a-z0-9]{0,10}(\.[a-z0-9]{1,8})?$/), fc.stringMatching(/^7[0-9]{10}$/)), fc.stringMatching(/^[a-z]{2,10}\.(kz|ru|com)$/))
  .map(([local, domain]) => `${local}@${domain}`)
/** Contract numbers as creditors print them, some of them 13-19 Luhn-valid digits. */
const contractNumber = fc.oneof(pan, pan.map((p) => `КД-${p}`), pan.map((p) => `${p.slice(0, 4)}-${p.slice(4)}`), pan.map((p) => `${p.slice(0, 6)}/${p.slice(6)}`),
  fc.stringMatching(/^[A-ZА-Я]{2}-20[0-9]{2}\/[0-9]{4,8}$/))

t.test('legitimate values, however their digits fall, always pass', async () => {
  const formatted = [{ path: ['contractNumber'], format: 'contractNumber' }, { path: ['payer', 'email'], format: 'email' }] as const
  fc.assert(fc.property(publicId, ibanText, phone, iin, amount, tenge, email, contractNumber,
    (id, iban, phoneNumber, iinValue, tiyn, sum, address, contract) => {
      const body = {
        acceptanceId: id,
        debtId: id,
        contractNumber: contract,
        iin: iinValue,
        amount: tiyn,
        payer: { fullName: 'Иванов Иван', email: address, phone: phoneNumber },
        reason: `Оплатил ${sum} по ИИН ${iinValue}, тел. ${phoneNumber}, счёт ${iban}, платёж ${id}`
      }
      return !containsCardNumber(body, formatted) &&
        [id, iban, phoneNumber, iinValue, tiyn, sum].every((value) => !containsCardNumber(value))
    }), { seed: 42, numRuns: 300 })
})

t.test('a formatted field is skipped only while its value has the format', async (t) => {
  const formatted = [{ path: ['body', 'contractNumber'], format: 'contractNumber' }, { path: ['body', 'items', '*', 'email'], format: 'email' }] as const
  t.equal(containsCardNumber({ body: { contractNumber: '4111111111111111' } }, formatted), false)
  t.equal(containsCardNumber({ body: { contractNumber: 'КД 4111 1111 1111 1111' } }, formatted), false, 'still a contract number by its format')
  t.equal(containsCardNumber({ body: { contractNumber: 'card: 4111 1111 1111 1111' } }, formatted), true, 'a colon is not in a contract number: free text')
  t.equal(containsCardNumber({ body: { contractNumber: `${'x'.repeat(90)} 4111111111111111` } }, formatted), true, 'over 100 characters: free text')
  t.equal(containsCardNumber({ body: { contractNumber: ['4111111111111111'] } }, formatted), true, 'not a string at that path')
  t.equal(containsCardNumber({ body: { other: '4111111111111111' } }, formatted), true, 'another field is free text')
  t.equal(containsCardNumber({ contractNumber: '4111111111111111' }, formatted), true, 'the same key elsewhere is free text')
  t.equal(containsCardNumber({ body: { items: [{ email: '4111111111111111@mail.kz' }] } }, formatted), false)
  t.equal(containsCardNumber({ body: { items: [{ email: '4111111111111111 @mail.kz' }] } }, formatted), true, 'not an email')
  t.equal(containsCardNumber({ body: { items: [{ note: '4111111111111111@mail.kz' }] } }, formatted), true, 'an email in free text is free text')
  t.equal(containsCardNumber({ body: { '4111111111111111': 'КД-1' } }, formatted), true, 'keys are never formatted')
})
