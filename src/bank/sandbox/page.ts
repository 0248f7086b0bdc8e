/**
 * The sandbox bank's hosted pages: self-contained HTML, no script at all
 * (the service's CSP allows scripts from 'self' only, and a payment page
 * needs none), one inline stylesheet allowed by its hash. Every value is
 * escaped; the card number is never written back into a page.
 */
import { createHash } from 'node:crypto'
import { formatTenge, translator, type Language } from '../../lib/i18n.js'

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
// our address, so no page may pass for a real bank's, nor invite a real card. Its words: `bank.*` of
// src/locales/<language>/pages.json, in the payment's pg_language.
function layout (language: Language, title: string, body: string, head = ''): string {
  const t = translator(language, 'pages')
  return `<!doctype html>\n<html lang="${language}"><head><meta charset="utf-8">` +
    '<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">' +
    `${head}<title>${escapeHtml(t('bank.title', { page: title }))}</title><style>${STYLE}</style></head>` +
    `<body><main><p class="sandbox" role="note">${escapeHtml(t('bank.notice'))}</p>${body}</main></body></html>\n`
}

export interface PaymentPageView {
  merchantName: string
  amount: bigint
  description: string
  orderId: string
  /** Where the form posts: this page's own path. */
  action: string
  /** A key of pages.json (`bank.card.*`, `bank.pay.chooseAction`): what was wrong with the form. */
  error?: string
}

export function paymentPage (language: Language, view: PaymentPageView): string {
  const t = translator(language, 'pages')
  const amount = escapeHtml(formatTenge(language, view.amount))
  const error = view.error === undefined ? '' : `<p class="error" role="alert">${escapeHtml(t(view.error))}</p>`
  const label = (key: string): string => escapeHtml(t(key))
  return layout(language, t('bank.pay.title', { merchant: view.merchantName }),
    `<h1>${escapeHtml(view.merchantName)}</h1>` +
    `<dl><dt>${label('bank.pay.amount')}</dt><dd class="amount">${amount}</dd>` +
    `<dt>${label('bank.pay.description')}</dt><dd>${escapeHtml(view.description)}</dd>` +
    `<dt>${label('bank.pay.order')}</dt><dd>${escapeHtml(view.orderId)}</dd></dl>` +
    error +
    `<form method="post" action="${escapeHtml(view.action)}">` +
    `<label>${label('bank.pay.cardNumber')}<input name="card_number" inputmode="numeric" autocomplete="cc-number" ` +
    'placeholder="0000 0000 0000 0000" maxlength="23" required></label>' +
    `<div class="row"><label>${label('bank.pay.expiry')}<input name="card_expiry" autocomplete="cc-exp" ` +
    `placeholder="${label('bank.pay.expiryPlaceholder')}" maxlength="7" required></label>` +
    '<label>CVV<input name="card_cvv" type="password" inputmode="numeric" autocomplete="cc-csc" maxlength="4" required></label></div>' +
    `<label>${label('bank.pay.holder')}<input name="card_holder" autocomplete="cc-name" placeholder="IVAN IVANOV" ` +
    'maxlength="100" required></label>' +
    `<div class="actions"><button type="submit" name="action" value="pay">${escapeHtml(t('bank.pay.submit', { amount: formatTenge(language, view.amount) }))}</button>` +
    `<button type="submit" name="action" value="decline" class="secondary" formnovalidate>${label('bank.pay.decline')}</button></div>` +
    '</form>' +
    `<section class="test-cards"><h2>${label('bank.pay.testCards')}</h2><ul>` +
    `<li><code>4111 1111 1111 1111</code> — ${label('bank.pay.approves')}</li>` +
    `<li><code>4000 0000 0000 0002</code> — ${label('bank.pay.declines')}</li></ul>` +
    `<p>${label('bank.pay.testCardsHint')}</p></section>`)
}

/** Another request is paying this payment right now: look again in a moment. */
export function processingPage (language: Language, path: string): string {
  const t = translator(language, 'pages')
  return layout(language, t('bank.processing.title'),
    `<h1>${escapeHtml(t('bank.processing.title'))}</h1><p>${escapeHtml(t('bank.processing.text'))}</p>`,
    `<meta http-equiv="refresh" content="2;url=${escapeHtml(path)}">`)
}

/**
 * Shown when the merchant gave no success or failure URL. `reason`: the failure's description as the protocol records
 * it, in Russian as the live bank words it (or as the merchant's check answer did): shown on a Russian page only.
 */
export function finishedPage (language: Language, paid: boolean, merchantName: string, reason: string | null): string {
  const t = translator(language, 'pages')
  const title = t(paid ? 'bank.paid.title' : 'bank.failed.title')
  const failure = language === 'ru' && reason !== null ? reason : t('bank.failed.text')
  const detail = paid ? t('bank.paid.text', { merchant: merchantName }) : failure
  return layout(language, title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(detail)}</p>`)
}

export function notFoundPage (language: Language): string {
  const t = translator(language, 'pages')
  return layout(language, t('bank.notFound.title'),
    `<h1>${escapeHtml(t('bank.notFound.title'))}</h1><p>${escapeHtml(t('bank.notFound.text'))}</p>`)
}
