// The messages, one file each per language in ./templates/<kk|ru|en>/ (plain text; DESIGN 19): a first line
// `Subject: …`, a blank line, the body. `{{name}}` is replaced by the message's data or by the agency's requisites
// (`{{agency.name}}`, …); an unknown name is an error, never an empty hole. Every body ends with the language's
// _footer.txt: the agency's name and support contacts (offer cl. 10, 25). The few phrases a message's data holds
// (a reason, the time zone's name) are the language's _phrases.json. Amounts, dates and times are formatted for the
// language with Intl, in Asia/Almaty (kk-KZ, ru-RU, en-GB).
import { readFileSync } from 'node:fs'
import type { AgencyRequisites } from '../../config.js'
import { LANGUAGES, type Language } from '../../lib/languages.js'
import { INTL_LOCALES } from '../../lib/i18n.js'
import type { MailData } from './tables.js'

export const TEMPLATES = [
  'payment-receipt',
  'refund-request-received',
  'refund-request-approved',
  'refund-request-rejected',
  'refund-paid',
  'privacy-verification-code',
  'privacy-destruction-confirmation'
] as const
export type TemplateName = typeof TEMPLATES[number]

export interface RenderedMail { subject: string, text: string }

const DIRECTORY = new URL('./templates/', import.meta.url)
const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9.]*)\s*\}\}/g

export const MAIL_LANGUAGES = LANGUAGES

const sources = new Map<string, string>()
/** The text of a template (or `_footer`) in a language; throws where the file is missing. */
export function templateSource (name: string, language: Language): string {
  const key = `${language}/${name}`
  let text = sources.get(key)
  if (text === undefined) {
    text = readFileSync(new URL(`${key}.txt`, DIRECTORY), 'utf8').replace(/\r\n/g, '\n')
    sources.set(key, text)
  }
  return text
}

export const PHRASES = ['almatyTime', 'refundReasonReturn', 'refundReasonRequested'] as const
export type Phrase = typeof PHRASES[number]

const phraseBooks = new Map<Language, Record<string, unknown>>()
/** The language's phrases file, as written (a test holds every language to the same keys). */
export function phrasesOf (language: Language): Record<string, unknown> {
  let book = phraseBooks.get(language)
  if (book === undefined) {
    book = JSON.parse(readFileSync(new URL(`${language}/_phrases.json`, DIRECTORY), 'utf8')) as Record<string, unknown>
    phraseBooks.set(language, book)
  }
  return book
}

export function phrase (language: Language, key: Phrase): string {
  const text = phrasesOf(language)[key]
  if (typeof text !== 'string') throw new Error(`mail phrases ${language}: no ${key}`)
  return text
}

export function isTemplateName (name: string): name is TemplateName {
  return (TEMPLATES as readonly string[]).includes(name)
}

function fill (text: string, values: ReadonlyMap<string, string>, template: string): string {
  return text.replace(PLACEHOLDER, (_match, key: string) => {
    const value = values.get(key)
    if (value === undefined) throw new Error(`template ${template}: no value for {{${key}}}`)
    return value
  })
}

/** The names a template (with the footer) asks for in a language, the agency's excepted. */
export function placeholdersOf (template: TemplateName, language: Language): string[] {
  const names = new Set<string>()
  for (const text of [templateSource(template, language), templateSource('_footer', language)]) {
    for (const match of text.matchAll(PLACEHOLDER)) {
      if (!(match[1] as string).startsWith('agency.')) names.add(match[1] as string)
    }
  }
  return [...names]
}

export function renderMail (
  template: TemplateName, data: MailData, agency: AgencyRequisites, language: Language
): RenderedMail {
  const values = new Map<string, string>(Object.entries(data))
  for (const [key, value] of Object.entries(agency)) values.set(`agency.${key}`, value ?? '—')
  values.set('agency.contacts', [agency.supportEmail, agency.supportPhone].filter((c) => c !== null).join(', '))
  const [first, ...rest] = templateSource(template, language).split('\n')
  const subjectLine = /^Subject:\s*(.+)$/.exec(first ?? '')
  if (subjectLine === null) throw new Error(`template ${template}: the first line must be "Subject: …"`)
  // a header is one line, whatever the data holds
  const subject = fill(subjectLine[1] as string, values, template).replace(/\s+/g, ' ').trim()
  const body = rest.join('\n').replace(/^\n+/, '').replace(/\n+$/, '')
  const footer = templateSource('_footer', language).replace(/\n+$/, '')
  const text = `${fill(body, values, template)}\n\n${fill(footer, values, template)}\n`
  return { subject, text }
}

export { formatTenge } from '../../lib/i18n.js'

const ALMATY_TIME = new Map(MAIL_LANGUAGES.map((language) => [
  language,
  new Intl.DateTimeFormat(INTL_LOCALES[language], {
    timeZone: 'Asia/Almaty', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
    hourCycle: 'h23'
  })
]))

/** "19.03.2026 15:00 (время Алматы)"; kk "19.03.2026 15:00 (Алматы уақыты)"; en "19/03/2026 15:00 (Almaty time)" */
export function formatAlmatyTime (instant: Date, language: Language): string {
  const time = (ALMATY_TIME.get(language) as Intl.DateTimeFormat).format(instant).replace(',', '')
  return `${time} (${phrase(language, 'almatyTime')})`
}

const CALENDAR_DATE = new Map(MAIL_LANGUAGES.map((language) => [
  language,
  new Intl.DateTimeFormat(INTL_LOCALES[language], { timeZone: 'UTC', year: 'numeric', month: '2-digit', day: '2-digit' })
]))

/** A calendar date: "2026-03-31" -> "31.03.2026" (ru, kk), "31/03/2026" (en) */
export function formatDate (isoDate: string, language: Language): string {
  return (CALENDAR_DATE.get(language) as Intl.DateTimeFormat).format(new Date(`${isoDate}T00:00:00Z`))
}

/** Only the last four digits of a card mask ("440043******9990" -> "•••• 9990"); never the BIN. */
export function cardEnding (cardMask: string | null): string {
  const digits = (cardMask ?? '').replace(/\D/g, '')
  return digits.length >= 4 ? `•••• ${digits.slice(-4)}` : '—'
}
