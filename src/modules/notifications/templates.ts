// The messages, one file each in ./templates (Russian, plain text): a first
// line `Subject: …`, a blank line, the body. `{{name}}` is replaced by the
// message's data or by the agency's requisites (`{{agency.name}}`, …); an
// unknown name is an error, never an empty hole. Every body ends with
// ./templates/_footer.txt: the agency's name and support contacts (offer
// cl. 10, 25).
import { readFileSync } from 'node:fs'
import type { AgencyRequisites } from '../../config.js'
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

const sources = new Map<string, string>()
function source (name: string): string {
  let text = sources.get(name)
  if (text === undefined) {
    text = readFileSync(new URL(`${name}.txt`, DIRECTORY), 'utf8').replace(/\r\n/g, '\n')
    sources.set(name, text)
  }
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

/** The names a template (with the footer) asks for, the agency's excepted. */
export function placeholdersOf (template: TemplateName): string[] {
  const names = new Set<string>()
  for (const text of [source(template), source('_footer')]) {
    for (const match of text.matchAll(PLACEHOLDER)) {
      if (!(match[1] as string).startsWith('agency.')) names.add(match[1] as string)
    }
  }
  return [...names]
}

export function renderMail (template: TemplateName, data: MailData, agency: AgencyRequisites): RenderedMail {
  const values = new Map<string, string>(Object.entries(data))
  for (const [key, value] of Object.entries(agency)) values.set(`agency.${key}`, value ?? '—')
  values.set('agency.contacts', [agency.supportEmail, agency.supportPhone].filter((c) => c !== null).join(', '))
  const [first, ...rest] = source(template).split('\n')
  const subjectLine = /^Subject:\s*(.+)$/.exec(first ?? '')
  if (subjectLine === null) throw new Error(`template ${template}: the first line must be "Subject: …"`)
  // a header is one line, whatever the data holds
  const subject = fill(subjectLine[1] as string, values, template).replace(/\s+/g, ' ').trim()
  const body = rest.join('\n').replace(/^\n+/, '').replace(/\n+$/, '')
  const text = `${fill(body, values, template)}\n\n${fill(source('_footer').replace(/\n+$/, ''), values, template)}\n`
  return { subject, text }
}

/** 150000n -> "1 500,00 ₸" (grouped with no-break spaces, as Russian text writes it). */
export function formatTenge (amount: bigint): string {
  const negative = amount < 0n
  const abs = negative ? -amount : amount
  const whole = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, '\u00a0')
  return `${negative ? '−' : ''}${whole},${(abs % 100n).toString().padStart(2, '0')}\u00a0₸`
}

const ALMATY_TIME = new Intl.DateTimeFormat('ru-RU', {
  timeZone: 'Asia/Almaty', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23'
})

/** "19.03.2026 15:00 (время Алматы)" */
export function formatAlmatyTime (instant: Date): string {
  return `${ALMATY_TIME.format(instant).replace(',', '')} (время Алматы)`
}

/** "2026-03-31" -> "31.03.2026" */
export function formatDate (isoDate: string): string {
  const [year, month, day] = isoDate.split('-')
  return `${day ?? ''}.${month ?? ''}.${year ?? ''}`
}

/** Only the last four digits of a card mask ("440043******9990" -> "•••• 9990"); never the BIN. */
export function cardEnding (cardMask: string | null): string {
  const digits = (cardMask ?? '').replace(/\D/g, '')
  return digits.length >= 4 ? `•••• ${digits.slice(-4)}` : '—'
}
