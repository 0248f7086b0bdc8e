import t from 'tap'
import fc from 'fast-check'
import { formatMinorUnits, parseMajorUnits } from '../../src/lib/money.js'

t.test('the bank sees tenge with two decimals', async (t) => {
  t.equal(formatMinorUnits(150000n), '1500.00')
  t.equal(formatMinorUnits(5n), '0.05')
  t.equal(formatMinorUnits(-12345n), '-123.45')
})

t.test('tenge text parses exactly, never through a float', async (t) => {
  t.equal(parseMajorUnits('125000'), 12500000n)
  t.equal(parseMajorUnits('125000.5'), 12500050n)
  t.equal(parseMajorUnits('125000.50'), 12500050n)
  t.equal(parseMajorUnits('0.07'), 7n)
  for (const bad of ['', '1.234', '-1', '1e3', '01', '1,5', ' 1', '1.']) {
    t.equal(parseMajorUnits(bad), null, `refuses ${JSON.stringify(bad)}`)
  }
})

t.test('format and parse are inverse for every non-negative amount', async () => {
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 17n }), (amount) =>
    parseMajorUnits(formatMinorUnits(amount)) === amount))
})
