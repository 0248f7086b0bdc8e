/**
 * The page a payer lands on after the bank's card page when the site gave
 * no returnUrl: what happened, in the payer's language (kk, ru, en: its
 * words are src/locales/<language>/pages.json, `result.*`), for a person
 * rather than a program. It shows our own record, never what the URL claims, and nothing
 * personal (the URL holds only the payment id, and anyone may open it):
 * the status, the amount, the date, a way back to the agency's site.
 * No script; one stylesheet allowed by its hash.
 */
import { createHash } from 'node:crypto'
import { formatAlmatyDateTime, formatTenge, translator, type Language } from '../../lib/i18n.js'
import type { PaymentStatus } from './tables.js'

export interface ResultView {
  paymentId: string
  status: PaymentStatus
  amount: bigint
  paidAt: Date | null
  agencyName: string
  website: string
}

const STYLE = [
  'body{margin:0;background:#f3f5f8;color:#1d2430;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}',
  'main{max-width:26rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.08)}',
  'h1{font-size:1.3rem;margin:0 0 .75rem}p{margin:0 0 1rem}',
  '.ok{color:#176b2c}.failed{color:#8a1c1c}.pending{color:#6b4e00}',
  'dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem;margin:0 0 1.25rem}dt{color:#5b6575}dd{margin:0;overflow-wrap:anywhere}',
  'a.back{display:block;padding:.75rem;border-radius:6px;background:#0b6bcb;color:#fff;text-align:center;font-weight:600;text-decoration:none}'
].join('')
const STYLE_SOURCE = `'sha256-${createHash('sha256').update(STYLE, 'utf8').digest('base64')}'`

/** Nothing runs, nothing loads, nothing frames it, no form posts anywhere. */
export const RESULT_PAGE_CSP = `default-src 'none'; style-src ${STYLE_SOURCE}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`

/** Seconds between reloads while the bank's answer is awaited. */
export const PENDING_REFRESH_SECONDS = 5

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\'': '&#39;' }
function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] as string)
}

const TONES: Record<PaymentStatus, 'ok' | 'failed' | 'pending'> = {
  succeeded: 'ok', returned: 'failed', failed: 'failed', expired: 'failed', pending: 'pending'
}

export function resultPage (language: Language, view: ResultView): string {
  const t = translator(language, 'pages')
  const title = t(`result.${view.status}.title`)
  const text = t(`result.${view.status}.text`, { seconds: PENDING_REFRESH_SECONDS })
  const label = (key: string): string => escapeHtml(t(key))
  const refresh = view.status === 'pending' ? `<meta http-equiv="refresh" content="${PENDING_REFRESH_SECONDS}">` : ''
  const paidAt = view.paidAt === null || (view.status !== 'succeeded' && view.status !== 'returned')
    ? ''
    : `<dt>${label('result.paidAt')}</dt><dd>${escapeHtml(formatAlmatyDateTime(language, view.paidAt))}</dd>`
  return `<!doctype html>\n<html lang="${language}"><head><meta charset="utf-8">` +
    '<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">' +
    `${refresh}<title>${escapeHtml(title)} — ${escapeHtml(view.agencyName)}</title><style>${STYLE}</style></head>` +
    `<body><main><h1 class="${TONES[view.status]}">${escapeHtml(title)}</h1>` +
    `<p>${escapeHtml(text)}</p>` +
    `<dl><dt>${label('result.amount')}</dt><dd>${escapeHtml(formatTenge(language, view.amount))}</dd>${paidAt}` +
    `<dt>${label('result.paymentId')}</dt><dd>${escapeHtml(view.paymentId)}</dd>` +
    `<dt>${label('result.recipient')}</dt><dd>${escapeHtml(view.agencyName)}</dd></dl>` +
    `<a class="back" href="${escapeHtml(view.website)}">${label('result.back')}</a>` +
    '</main></body></html>\n'
}
