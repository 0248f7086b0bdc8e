import t from 'tap'
import fc from 'fast-check'
import { maskEmail, normalizeEmail } from '../../src/lib/email.js'

t.test('an email is trimmed and lowercased so the payer is recognised later', async (t) => {
  t.same(normalizeEmail(' Ivan.Petrov@Mail.KZ '), { ok: true, email: 'ivan.petrov@mail.kz' })
  t.same(normalizeEmail('a@b.kz'), { ok: true, email: 'a@b.kz' })
  t.same(normalizeEmail('first+tag@sub-domain.example.com'), { ok: true, email: 'first+tag@sub-domain.example.com' })
  t.same(normalizeEmail('user@xn--80ao21a.xn--80ao21a'), { ok: true, email: 'user@xn--80ao21a.xn--80ao21a' }, 'punycode')
  t.same(normalizeEmail(`${'a'.repeat(64)}@example.kz`), { ok: true, email: `${'a'.repeat(64)}@example.kz` })
  const longest = `a@${'d'.repeat(61)}.${'d'.repeat(61)}.${'d'.repeat(61)}.${'d'.repeat(63)}.kz`
  t.equal(longest.length, 254)
  t.same(normalizeEmail(longest), { ok: true, email: longest }, '254 characters is the limit')
})

t.test('addresses we could not write to are refused', async (t) => {
  const longDomain = `${'d'.repeat(61)}.${'d'.repeat(61)}.${'d'.repeat(61)}.${'d'.repeat(63)}.kz`
  for (const bad of [
    '', '   ', 'ivan', 'ivan@', '@mail.kz', 'ivan@mail', 'ivan@@mail.kz', 'a@b@mail.kz',
    'ivan petrov@mail.kz', 'ivan@mail .kz', 'ivan@-mail.kz', 'ivan@mail-.kz', 'ivan@mail..kz',
    'ivan@.mail.kz', 'ivan@mail.kz.', '.ivan@mail.kz', 'ivan.@mail.kz', 'iv..an@mail.kz',
    '"ivan"@mail.kz', 'a,b@mail.kz', '<ivan>@mail.kz', 'ivan@mail_box.kz', 'user@10.0.0.1',
    'иван@почта.қаз', 'ivan\n@mail.kz', `${'a'.repeat(65)}@example.kz`, `ab@${longDomain}`,
    `a@${'d'.repeat(64)}.kz`
  ]) {
    t.same(normalizeEmail(bad), { ok: false }, JSON.stringify(bad))
  }
})

t.test('a masked email shows the first letter and the domain', async (t) => {
  t.equal(maskEmail('ivan@example.kz'), 'i***@example.kz')
  t.equal(maskEmail('i@example.kz'), 'i***@example.kz')
  t.equal(maskEmail('no-at-sign'), '***')
  t.equal(maskEmail('@example.kz'), '***')
})

const label = fc.stringMatching(/^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,10}[a-zA-Z0-9])?$/)
const address = fc.tuple(
  fc.stringMatching(/^[a-zA-Z0-9_+-]{1,20}(?:\.[a-zA-Z0-9_+-]{1,20}){0,2}$/),
  fc.array(label, { minLength: 1, maxLength: 3 }),
  fc.stringMatching(/^[a-zA-Z]{2,6}$/),
  fc.constantFrom('', ' ', '\t', '  ')
).map(([local, labels, tld, pad]) => `${pad}${local}@${[...labels, tld].join('.')}${pad}`)

t.test('normalisation accepts any plain address, ignores case, and is idempotent', async () => {
  fc.assert(fc.property(address, (typed) => {
    const once = normalizeEmail(typed)
    const shouted = normalizeEmail(typed.toUpperCase())
    if (!once.ok || !shouted.ok) return false
    const twice = normalizeEmail(once.email)
    return once.email === typed.trim().toLowerCase() && shouted.email === once.email &&
      twice.ok && twice.email === once.email
  }))
})
