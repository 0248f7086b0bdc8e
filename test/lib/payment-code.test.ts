import t from 'tap'
import { isPaymentCode, luhnCheckDigit } from '../../src/lib/payment-code.js'

t.test('the Luhn check digit of known vectors', async (t) => {
  // the textbook example (7992739871 -> 3) and card-style payloads
  t.equal(luhnCheckDigit('7992739871'), '3')
  t.equal(luhnCheckDigit('0000000000'), '0')
  t.equal(luhnCheckDigit('1234567890'), '3')
  t.ok(isPaymentCode('79927398713'))
  t.ok(isPaymentCode('12345678903'))
})

t.test('a mistyped digit or a swap of two neighbours is caught', async (t) => {
  const code = '79927398713'
  for (let i = 0; i < code.length; i++) {
    const digit = Number(code[i])
    const typo = code.slice(0, i) + String((digit + 1) % 10) + code.slice(i + 1)
    t.notOk(isPaymentCode(typo), `position ${i}`)
  }
  t.notOk(isPaymentCode('97927398713'), 'neighbours swapped')
  for (const bad of ['', '7992739871', '799273987130', '7992739871a', ' 79927398713']) t.notOk(isPaymentCode(bad), bad)
})
