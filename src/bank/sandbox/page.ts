/**
 * The sandbox bank's hosted pages: self-contained HTML, no script at all
 * (the service's CSP allows scripts from 'self' only, and a payment page
 * needs none), one inline stylesheet allowed by its hash. Every value is
 * escaped; the card number is never written back into a page.
 */
import { createHash } from 'node:crypto'
import { formatMinorUnits } from '../../lib/money.js'

const STYLE = [
  'body{margin:0;background:#f3f5f8;color:#1d2430;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}',
  'main{max-width:26rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.08)}',
  'h1{font-size:1.25rem;margin:0 0 1rem}h2{font-size:1rem;margin:0 0 .5rem}',
  '.sandbox{margin:0 0 1rem;padding:.4rem .6rem;border-radius:6px;background:#fff4d6;color:#6b4e00;font-size:.85rem}',
  'dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem;margin:0 0 1.25rem}dt{color:#5b6575}dd{margin:0;overflow-wrap:anywhere}',
  '.amount{font-size:1.35rem;font-weight:600}',
  'label{display:block;margin:0 0 .75rem;font-size:.9rem;color:#39424f}',
  'input{display:block;box-sizing:border-box;width:100%;margin-top:.25rem;padding:.6rem;border:1px solid #c5ccd6;border-radius:6px;font:inherit}',
  '.row{display:grid;grid-template-columns:1fr 1fr;gap:.75rem}',
  '.actions{display:grid;gap:.5rem;margin-top:1rem}',
  'button{padding:.75rem;border:0;border-radius:6px;font:inherit;font-weight:600;cursor:pointer;background:#0b6bcb;color:#fff}',
  'button.secondary{background:#e7ebf0;color:#1d2430}',
  '.error{padding:.5rem .75rem;border-radius:6px;background:#fde8e8;color:#8a1c1c}',
  '.test-cards{margin-top:1.5rem;padding-top:1rem;border-top:1px solid #e4e8ee;font-size:.9rem}code{font-size:.95em}'
].join('')
const STYLE_SOURCE = `'sha256-${createHash('sha256').update(STYLE, 'utf8').digest('base64')}'`

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\'': '&#39;' }

export function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] as string)
}

/** 150000n -> '1 500,00 ₸' (no-break spaces), as a Kazakh receipt writes it. */
export function formatTenge (amount: bigint): string {
  const [whole, fraction] = formatMinorUnits(amount).split('.') as [string, string]
  return `${whole.replace(/\B(?=(\d{3})+$)/g, '\u00a0')},${fraction}\u00a0₸`
}

/**
 * The page's policy: no script, its own stylesheet, and forms posting to
 * itself; the merchant's origins too, because the browser checks the 303
 * after a form post against form-action.
 */
export function contentSecurityPolicy (formActionOrigins: string[]): string {
  const formAction = ["'self'", ...new Set(formActionOrigins)].join(' ')
  return `default-src 'none'; style-src ${STYLE_SOURCE}; form-action ${formAction}; base-uri 'none'; frame-ancestors 'none'`
}

// Every page says what it is, in its tab too: anyone holding the public sandbox secret can put a payment's text on
// our address, so no page may pass for a real bank's, nor invite a real card.
const SANDBOX_NOTICE = 'Тестовый банк (sandbox): деньги не списываются. Не вводите данные настоящей карты.'

function layout (title: string, body: string, head = ''): string {
  return '<!doctype html>\n<html lang="ru"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">' +
    `${head}<title>${escapeHtml(title)} — тестовый банк</title><style>${STYLE}</style></head>` +
    `<body><main><p class="sandbox" role="note">${SANDBOX_NOTICE}</p>${body}</main></body></html>\n`
}

export interface PaymentPageView {
  merchantName: string
  amount: bigint
  description: string
  orderId: string
  /** Where the form posts: this page's own path. */
  action: string
  error?: string
}

export function paymentPage (view: PaymentPageView): string {
  const amount = escapeHtml(formatTenge(view.amount))
  const error = view.error === undefined ? '' : `<p class="error" role="alert">${escapeHtml(view.error)}</p>`
  return layout(`Оплата картой — ${view.merchantName}`,
    `<h1>${escapeHtml(view.merchantName)}</h1>` +
    `<dl><dt>К оплате</dt><dd class="amount">${amount}</dd>` +
    `<dt>Назначение</dt><dd>${escapeHtml(view.description)}</dd>` +
    `<dt>Заказ</dt><dd>${escapeHtml(view.orderId)}</dd></dl>` +
    error +
    `<form method="post" action="${escapeHtml(view.action)}">` +
    '<label>Номер карты<input name="card_number" inputmode="numeric" autocomplete="cc-number" placeholder="0000 0000 0000 0000" maxlength="23" required></label>' +
    '<div class="row"><label>Срок действия<input name="card_expiry" autocomplete="cc-exp" placeholder="ММ/ГГ" maxlength="7" required></label>' +
    '<label>CVV<input name="card_cvv" type="password" inputmode="numeric" autocomplete="cc-csc" maxlength="4" required></label></div>' +
    '<label>Владелец карты<input name="card_holder" autocomplete="cc-name" placeholder="IVAN IVANOV" maxlength="100" required></label>' +
    `<div class="actions"><button type="submit" name="action" value="pay">Оплатить ${amount}</button>` +
    '<button type="submit" name="action" value="decline" class="secondary" formnovalidate>Отказаться от оплаты</button></div>' +
    '</form>' +
    '<section class="test-cards"><h2>Тестовые карты</h2><ul>' +
    '<li><code>4111 1111 1111 1111</code> — оплата проходит</li>' +
    '<li><code>4000 0000 0000 0002</code> — банк отклоняет</li></ul>' +
    '<p>Срок действия — любой в будущем, CVV — любые три цифры, владелец — любое имя.</p></section>')
}

/** Another request is paying this payment right now: look again in a moment. */
export function processingPage (path: string): string {
  return layout('Платеж обрабатывается',
    '<h1>Платеж обрабатывается</h1><p>Страница обновится сама через несколько секунд.</p>',
    `<meta http-equiv="refresh" content="2;url=${escapeHtml(path)}">`)
}

/** Shown when the merchant gave no success or failure URL. */
export function finishedPage (paid: boolean, merchantName: string, reason: string | null): string {
  const title = paid ? 'Оплата прошла' : 'Платеж не прошел'
  const detail = paid ? `Деньги получит ${merchantName}.` : (reason ?? 'Деньги не списаны.')
  return layout(title, `<h1>${title}</h1><p>${escapeHtml(detail)}</p>`)
}

export function notFoundPage (): string {
  return layout('Платеж не найден', '<h1>Платеж не найден</h1><p>Проверьте ссылку, которую дал магазин.</p>')
}
