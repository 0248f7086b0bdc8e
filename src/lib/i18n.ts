/**
 * What a person reads, in kk, ru or en (DESIGN 19): the words are data, one JSON file per language per surface under
 * src/locales/<language>/<surface>.json (flat: key -> text with `{{placeholder}}`s), never strings in code.
 * test/lib/i18n.test.ts holds every language to the same keys and placeholders.
 *
 * Hand-written rather than i18next: thirty lines, no shared dependency to install, a missing value is an error (never
 * an empty hole, i18next's default), and the files stay plain key -> text a translator edits without knowing a library.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { DEFAULT_LANGUAGE, type Language } from './languages.js'

export { DEFAULT_LANGUAGE, isLanguage, LANGUAGES, type Language } from './languages.js'

/** BCP 47 tags as the web writes them: kk-KZ, ru-RU, en-GB; `kz` is a country, often used for the language. */
const ALIASES: Record<string, Language> = { kk: 'kk', kz: 'kk', ru: 'ru', en: 'en' }

/** A tag's language if it is one of ours: 'kk-KZ' -> 'kk', 'EN' -> 'en', 'de' -> undefined. */
export function languageOfTag (tag: string): Language | undefined {
  return ALIASES[tag.trim().toLowerCase().split(/[-_]/)[0] ?? '']
}

/**
 * The language of an Accept-Language header (RFC 9110 12.5.4): the highest q among ours, the first listed on a tie;
 * q=0 means "not this". undefined when the header names none of ours (or there is none).
 */
export function preferredLanguage (acceptLanguage: string | string[] | undefined): Language | undefined {
  const header = Array.isArray(acceptLanguage) ? acceptLanguage.join(',') : acceptLanguage
  if (header === undefined) return undefined
  let best: { language: Language, q: number } | undefined
  for (const range of header.slice(0, 1000).split(',')) {
    const [tag = '', ...params] = range.split(';')
    const qParam = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('q='))
    const q = qParam === undefined ? 1 : Number(qParam.slice(2))
    if (!Number.isFinite(q) || q <= 0 || q > 1) continue
    const language = languageOfTag(tag)
    if (language !== undefined && (best === undefined || q > best.q)) best = { language, q }
  }
  return best?.language
}

/** An explicit choice (`?lang=`, a body's `language`) first, then the header, then ru. */
export function negotiateLanguage (acceptLanguage: string | string[] | undefined, explicit?: unknown): Language {
  if (typeof explicit === 'string') {
    const chosen = languageOfTag(explicit)
    if (chosen !== undefined) return chosen
  }
  return preferredLanguage(acceptLanguage) ?? DEFAULT_LANGUAGE
}

export const LOCALES_DIRECTORY = new URL('../locales/', import.meta.url)

type Catalog = Record<string, string>
/** language -> surface -> key -> text, read once at start. */
const catalogs = new Map<string, Map<string, Catalog>>()

function catalog (language: Language, surface: string): Catalog {
  let surfaces = catalogs.get(language)
  if (surfaces === undefined) {
    surfaces = new Map()
    const directory = new URL(`${language}/`, LOCALES_DIRECTORY)
    for (const file of readdirSync(directory).filter((name) => name.endsWith('.json'))) {
      surfaces.set(file.slice(0, -'.json'.length), JSON.parse(readFileSync(new URL(file, directory), 'utf8')) as Catalog)
    }
    catalogs.set(language, surfaces)
  }
  const found = surfaces.get(surface)
  if (found === undefined) throw new Error(`No locale file ${language}/${surface}.json`)
  return found
}

export type Values = Readonly<Record<string, string | number | bigint>>

/** The placeholders of a text: 'Осталось {{n}} попыток' -> ['n']. */
export function placeholdersOf (text: string): string[] {
  return [...text.matchAll(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g)].map((match) => match[1] as string)
}

export function hasTranslation (language: Language, surface: string, key: string): boolean {
  return Object.hasOwn(catalog(language, surface), key)
}

/** The text of a key with its placeholders filled; a key or a value missing is an error, never an empty hole. */
export function translate (language: Language, surface: string, key: string, values: Values = {}): string {
  const texts = catalog(language, surface)
  if (!Object.hasOwn(texts, key)) throw new Error(`No text ${key} in ${language}/${surface}.json`)
  return (texts[key] as string).replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (_whole, name: string) => {
    if (!Object.hasOwn(values, name)) throw new Error(`${language}/${surface}.json ${key}: no value for {{${name}}}`)
    return String(values[name])
  })
}

/** A translator bound to one language and surface: `t('title')`. */
export function translator (language: Language, surface: string): (key: string, values?: Values) => string {
  return (key, values) => translate(language, surface, key, values)
}

/** Intl's locale for a language: Kazakh as written in Kazakhstan. */
export const INTL_LOCALES: Record<Language, string> = { kk: 'kk-KZ', ru: 'ru-RU', en: 'en-GB' }
const LOCALES = INTL_LOCALES
const ALMATY = 'Asia/Almaty'

const TENGE = new Map(Object.entries(INTL_LOCALES).map(([language, locale]) => [
  language,
  new Intl.NumberFormat(locale, {
    style: 'currency', currency: 'KZT', currencyDisplay: 'narrowSymbol', minimumFractionDigits: 2, maximumFractionDigits: 2
  })
]))

/**
 * 150000n tiyn -> "1 500,00 ₸" (ru, kk: grouped with no-break spaces) or "₸1,500.00" (en), a negative amount with a
 * minus sign first. Exact: the amount goes to Intl as a decimal string (Intl.NumberFormat v3), never through a float.
 */
const DURATION_UNITS = [['hour', 3600], ['minute', 60], ['second', 1]] as const

/**
 * A span of time in the largest unit that holds it whole: `1 hour`, `5 minutes`; ru in the short form, which no
 * preposition declines ("за 1 ч", "за 5 мин").
 */
export function formatDuration (language: Language, seconds: number): string {
  const [unit, size] = DURATION_UNITS.find(([, size]) => seconds % size === 0) ?? ['second', 1]
  const unitDisplay = language === 'ru' ? 'short' : 'long'
  return new Intl.NumberFormat(LOCALES[language], { style: 'unit', unit, unitDisplay }).format(seconds / size)
}

export function formatTenge (language: Language, tiyn: bigint): string {
  const negative = tiyn < 0n
  const abs = negative ? -tiyn : tiyn
  const decimal = `${(abs / 100n).toString()}.${(abs % 100n).toString().padStart(2, '0')}`
  // the types still say number
  const text = (TENGE.get(language) as Intl.NumberFormat).format(decimal as unknown as number)
  return `${negative ? '−' : ''}${text}`
}

/** A moment as Almaty reads it: '25.11.2026, 15:02' (ru), '25/11/2026, 15:02' (en). */
export function formatAlmatyDateTime (language: Language, at: Date): string {
  return new Intl.DateTimeFormat(LOCALES[language], {
    timeZone: ALMATY, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false
  }).format(at)
}
