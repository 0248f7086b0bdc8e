import t from 'tap'
import fc from 'fast-check'
import { maskName, normalizeContractNumber, normalizeName } from '../../src/lib/names.js'

t.test('a name is masked to initials', async (t) => {
  t.equal(maskName('Иванов Иван Иванович'), 'И*** И*** И***')
  t.equal(maskName('  Әлия   Нұрланқызы '), 'Ә*** Н***')
  t.equal(maskName('Ёлкин'), 'Ё***')
})

t.test('contract numbers compare regardless of case and spacing', async (t) => {
  t.equal(normalizeContractNumber('  КД-2024 / 0015 '), normalizeContractNumber('кд-2024  /  0015'))
  t.equal(normalizeContractNumber('ABC 1'), 'abc 1')
})

t.test('normalising is idempotent and a mask never holds more than initials', async () => {
  fc.assert(fc.property(fc.string({ maxLength: 40 }), (text) => {
    const once = normalizeName(text)
    const letters = maskName(text).replaceAll('***', '').replaceAll(' ', '')
    return normalizeName(once) === once &&
      normalizeContractNumber(normalizeContractNumber(text)) === normalizeContractNumber(text) &&
      [...letters].length === once.split(' ').filter((p) => p !== '').length
  }))
})
