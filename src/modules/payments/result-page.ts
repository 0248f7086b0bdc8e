/**
 * The page a payer lands on after the bank's card page when the site gave
 * no returnUrl: what happened, in Russian, for a person rather than a
 * program. It shows our own record, never what the URL claims, and nothing
 * personal (the URL holds only the payment id, and anyone may open it):
 * the status, the amount, the date, a way back to the agency's site.
 * No script; one stylesheet allowed by its hash.
 */
import { createHash } from 'node:crypto'
import { formatMinorUnits } from '../../lib/money.js'
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

/** 150000n -> '1 500,00 ₸' with no-break spaces. */
function formatTenge (amount: bigint): string {
  const [whole, fraction] = formatMinorUnits(amount).split('.') as [string, string]
  return `${whole.replace(/\B(?=(\d{3})+$)/g, '\u00a0')},${fraction}\u00a0₸`
}

/** Almaty time (UTC+5, no daylight saving): '25.11.2026, 15:02'. */
function formatAlmaty (at: Date): string {
  const local = new Date(at.getTime() + 5 * 3600_000).toISOString()
  return `${local.slice(8, 10)}.${local.slice(5, 7)}.${local.slice(0, 4)}, ${local.slice(11, 16)}`
}

const VERDICTS: Record<PaymentStatus, { title: string, tone: 'ok' | 'failed' | 'pending', text: string }> = {
  succeeded: { title: 'Платёж выполнен', tone: 'ok', text: 'Спасибо! Деньги получены, задолженность уменьшена на эту сумму.' },
  returned: { title: 'Платёж возвращён', tone: 'failed', text: 'Агентство вернуло этот платёж на карту. По вопросам обратитесь в поддержку агентства.' },
  failed: { title: 'Платёж не прошёл', tone: 'failed', text: 'Банк отклонил оплату, деньги не списаны. Вы можете попробовать ещё раз на сайте агентства.' },
  expired: { title: 'Время оплаты истекло', tone: 'failed', text: 'Оплата не была завершена вовремя, деньги не списаны. Начните оплату заново на сайте агентства.' },
  pending: { title: 'Платёж обрабатывается', tone: 'pending', text: `Банк ещё не сообщил результат. Страница обновится сама через ${PENDING_REFRESH_SECONDS} секунд; повторно оплачивать не нужно.` }
}

export function resultPage (view: ResultView): string {
  const verdict = VERDICTS[view.status]
  const refresh = view.status === 'pending' ? `<meta http-equiv="refresh" content="${PENDING_REFRESH_SECONDS}">` : ''
  const paidAt = view.paidAt === null || (view.status !== 'succeeded' && view.status !== 'returned')
    ? ''
    : `<dt>Дата оплаты</dt><dd>${escapeHtml(formatAlmaty(view.paidAt))}</dd>`
  return '<!doctype html>\n<html lang="ru"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">' +
    `${refresh}<title>${escapeHtml(verdict.title)} — ${escapeHtml(view.agencyName)}</title><style>${STYLE}</style></head>` +
    `<body><main><h1 class="${verdict.tone}">${escapeHtml(verdict.title)}</h1>` +
    `<p>${escapeHtml(verdict.text)}</p>` +
    `<dl><dt>Сумма</dt><dd>${escapeHtml(formatTenge(view.amount))}</dd>${paidAt}` +
    `<dt>Номер платежа</dt><dd>${escapeHtml(view.paymentId)}</dd>` +
    `<dt>Получатель</dt><dd>${escapeHtml(view.agencyName)}</dd></dl>` +
    `<a class="back" href="${escapeHtml(view.website)}">Вернуться на сайт агентства</a>` +
    '</main></body></html>\n'
}
