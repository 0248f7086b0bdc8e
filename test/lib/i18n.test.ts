import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { PROBLEM_CODES } from '../../src/http/problem-codes.js'
import {
  formatAlmatyDateTime, formatTenge, LANGUAGES, LOCALES_DIRECTORY, negotiateLanguage, placeholdersOf,
  preferredLanguage, translate
} from '../../src/lib/i18n.js'

/**
 * Translations are data (DESIGN 19): every language has the same files, the same keys and, per key, the same
 * placeholders; a text is filled or refused, never left with a hole; no page string is written in code.
 */

type Catalog = Record<string, string>
const read = (language: string, file: string): Catalog =>
  JSON.parse(readFileSync(new URL(`${language}/${file}`, LOCALES_DIRECTORY), 'utf8')) as Catalog
const filesOf = (language: string): string[] =>
  readdirSync(new URL(`${language}/`, LOCALES_DIRECTORY)).filter((name) => name.endsWith('.json')).sort()

t.test('every language has the same surfaces, keys and placeholders (every file of src/locales)', async (t) => {
  t.same(readdirSync(LOCALES_DIRECTORY).sort(), [...LANGUAGES].sort(), 'one folder per language, no other')
  const surfaces = filesOf('ru')
  t.ok(surfaces.includes('pages.json') && surfaces.includes('problems.json'))
  for (const language of LANGUAGES) {
    t.same(filesOf(language), surfaces, `${language}: the same files as ru`)
    for (const file of surfaces) {
      const reference = read('ru', file)
      const texts = read(language, file)
      t.same(Object.keys(texts).sort(), Object.keys(reference).sort(), `${language}/${file}: the keys of ru/${file}`)
      for (const [key, text] of Object.entries(texts)) {
        t.type(text, 'string', `${language}/${file} ${key}`)
        t.not(text.trim(), '', `${language}/${file} ${key} is not empty`)
        t.same(placeholdersOf(text).sort(), placeholdersOf(reference[key] ?? '').sort(),
          `${language}/${file} ${key}: the placeholders of ru`)
      }
    }
  }
})

t.test('the Kazakh and English texts are translations, not Russian left in place', async (t) => {
  for (const file of filesOf('ru')) {
    const ru = read('ru', file)
    for (const language of ['kk', 'en'] as const) {
      const texts = read(language, file)
      for (const [key, text] of Object.entries(texts)) {
        if (/[а-яё]/i.test(ru[key] ?? '')) t.not(text, ru[key], `${language}/${file} ${key} differs from ru`)
        if (language === 'en') t.notMatch(text, /[\u0400-\u04ff]/, `en/${file} ${key} has no Cyrillic`)
      }
    }
  }
})

t.test('a problem detail names only facts its code carries, or the edge\'s own values', async (t) => {
  const edgeValues: Record<string, string[]> = { route_not_found: ['method', 'path'], rate_limited: ['window'] }
  for (const [key, text] of Object.entries(read('ru', 'problems.json'))) {
    if (!key.startsWith('detail.')) continue
    const code = key.slice('detail.'.length)
    const row = (PROBLEM_CODES as Record<string, { extra?: Record<string, unknown> }>)[code]
    t.ok(row, `${key}: a problem code`)
    const known = [...Object.keys(row?.extra ?? {}), ...(edgeValues[code] ?? [])]
    for (const name of placeholdersOf(text)) t.ok(known.includes(name), `${key}: {{${name}}} is a fact of ${code}`)
  }
  for (const key of Object.keys(read('ru', 'problems.json')).filter((k) => k.startsWith('title.'))) {
    t.ok(/^title\.[1-5]\d\d$/.test(key), `${key}: a status`)
  }
})

t.test('no page string is written in code: the pages read their words from the locale files', async (t) => {
  const pageSources = ['src/modules/payments/result-page.ts', 'src/bank/sandbox/page.ts', 'src/bank/sandbox/checkout.ts',
    'src/bank/sandbox/card.ts']
  const texts = Object.values(read('ru', 'pages.json')).concat(Object.values(read('kk', 'pages.json')))
  for (const file of pageSources) {
    const source = readFileSync(file, 'utf8')
    t.notMatch(source, /[\u0400-\u04ff]/, `${file}: no Cyrillic letter at all`)
    for (const text of texts) {
      const words = text.split('{{')[0]?.trim() ?? ''
      if (words.length >= 8) t.notOk(source.includes(words), `${file} does not hold "${words}"`)
    }
  }
})

t.test('the image carries the locale files beside the compiled code', async (t) => {
  t.match(readFileSync('Dockerfile', 'utf8'), /cp -R src\/locales dist\/src\/locales/)
})

t.test('translate fills every placeholder or refuses', async (t) => {
  t.equal(translate('ru', 'pages', 'bank.pay.submit', { amount: '5 ₸' }), 'Оплатить 5 ₸')
  t.equal(translate('kk', 'pages', 'bank.pay.submit', { amount: '5 ₸' }), '5 ₸ төлеу')
  t.throws(() => translate('en', 'pages', 'bank.pay.submit'), /no value for \{\{amount\}\}/, 'never an empty hole')
  t.throws(() => translate('en', 'pages', 'no.such.key'), /No text no\.such\.key in en\/pages\.json/)
  t.throws(() => translate('en', 'nothing', 'x'), /No locale file en\/nothing\.json/)
})

t.test('Accept-Language: q-values, regional tags, ours only; the explicit choice first; ru by default', async (t) => {
  t.equal(preferredLanguage('kk-KZ'), 'kk')
  t.equal(preferredLanguage('ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7'), 'ru')
  t.equal(preferredLanguage('de-DE, en;q=0.5, kk;q=0.8'), 'kk', 'the highest q among ours')
  t.equal(preferredLanguage('en;q=0.5, ru;q=0.5'), 'en', 'the first listed on a tie')
  t.equal(preferredLanguage('kk;q=0, en'), 'en', 'q=0: not this one')
  t.equal(preferredLanguage('kk;q=abc'), undefined, 'a malformed q is no preference')
  t.equal(preferredLanguage('de, fr'), undefined)
  t.equal(preferredLanguage(undefined), undefined)
  t.equal(preferredLanguage('*'), undefined, 'a wildcard names none of ours')
  t.equal(negotiateLanguage(undefined), 'ru')
  t.equal(negotiateLanguage('de'), 'ru')
  t.equal(negotiateLanguage('en', 'kk'), 'kk', 'the explicit choice before the header')
  t.equal(negotiateLanguage('en', 'xx'), 'en', 'an explicit choice that is none of ours is ignored')
  t.equal(negotiateLanguage(undefined, 'KK-kz'), 'kk')
})

t.test('amounts and times as each language writes them, in Almaty time', async (t) => {
  t.equal(formatTenge('ru', 150000n), '1\u00a0500,00\u00a0₸')
  t.equal(formatTenge('kk', 150000n), '1\u00a0500,00\u00a0₸')
  t.equal(formatTenge('en', 150000n), '₸1,500.00')
  t.equal(formatTenge('ru', 900719925474099399n), '9\u00a0007\u00a0199\u00a0254\u00a0740\u00a0993,99\u00a0₸', 'every tiyn')
  const at = new Date('2026-11-25T10:02:00Z')
  t.equal(formatAlmatyDateTime('ru', at), '25.11.2026, 15:02')
  t.equal(formatAlmatyDateTime('kk', at), '25.11.2026, 15:02')
  t.equal(formatAlmatyDateTime('en', at), '25/11/2026, 15:02')
})
