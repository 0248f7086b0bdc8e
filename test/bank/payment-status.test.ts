import t from 'tap'
import fc from 'fast-check'
import { toBankPaymentStatus } from '../../src/bank/payment-status.js'
import { BANK_PAYMENT_STATUSES } from '../../src/bank/provider.js'

t.test('a paid payment reads by how much of it went back', async (t) => {
  t.equal(toBankPaymentStatus('success', 1000n, 0n), 'succeeded')
  t.equal(toBankPaymentStatus('success', 1000n, 1n), 'partially_refunded')
  t.equal(toBankPaymentStatus('success', 1000n, 1000n), 'refunded', 'the bank keeps "success" after a full refund')
  t.equal(toBankPaymentStatus(' OK ', 1000n, 0n), 'succeeded', 'the older word, any case')
})

t.test('the other words of the bank', async (t) => {
  for (const word of ['new', 'pending', 'process', 'waiting']) t.equal(toBankPaymentStatus(word, 1n, 0n), 'pending', word)
  for (const word of ['error', 'failed', 'rejected', 'incomplete', 'canceled', 'cancelled', 'expired']) t.equal(toBankPaymentStatus(word, 1n, 0n), 'failed', word)
  t.equal(toBankPaymentStatus('revoked', 1n, 0n), 'revoked')
  t.equal(toBankPaymentStatus('refunded', 1n, 0n), 'refunded')
  t.equal(toBankPaymentStatus('', 1n, 0n), null)
  t.equal(toBankPaymentStatus('partial', 1n, 0n), null, 'unknown: never guessed')
})

t.test('only "success"/"ok" can ever read as money received', async () => {
  fc.assert(fc.property(
    fc.string(),
    fc.bigInt({ min: 1n, max: 10n ** 12n }),
    fc.bigInt({ min: 0n, max: 10n ** 12n }),
    (word, amount, refunded) => {
      const status = toBankPaymentStatus(word, amount, refunded)
      if (status === 'succeeded' || status === 'partially_refunded') return ['success', 'ok'].includes(word.trim().toLowerCase())
      return status === null || BANK_PAYMENT_STATUSES.includes(status)
    }))
})
