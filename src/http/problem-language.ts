/**
 * A problem document's words in the reader's language (DESIGN 19): `title` and `detail` follow Accept-Language (kk,
 * ru, en), from src/locales/<language>/problems.json (`title.<status>`, `detail.<code>`); `code`, `type`, `status`
 * and every other field never change. A detail's placeholders take the problem's facts (`retryAfterSeconds`,
 * `minimumAmount`...) and the values the edge adds (a route's method and path).
 *
 * Without an Accept-Language naming one of ours the document is in Russian, the default language of every text a
 * person reads (DESIGN 19). A code with no translated detail (the back office's and partners') keeps the code's own
 * words (English) in every language; its title is translated.
 */
import {
  DEFAULT_LANGUAGE, formatDuration, hasTranslation, preferredLanguage, translate, type Language
} from '../lib/i18n.js'
import type { AppError } from './errors.js'

export function localizedProblem (
  error: AppError, acceptLanguage: string | string[] | undefined
): { language: Language, title: string, detail: string } {
  const language = preferredLanguage(acceptLanguage) ?? DEFAULT_LANGUAGE
  const titleKey = `title.${error.statusCode}`
  const detailKey = `detail.${error.code}`
  const title = hasTranslation(language, 'problems', titleKey) ? translate(language, 'problems', titleKey) : error.title
  return { language, title, detail: translatedDetail(language, detailKey, error) ?? error.message }
}

function translatedDetail (language: Language, key: string, error: AppError): string | undefined {
  if (!hasTranslation(language, 'problems', key)) return undefined
  const values: Record<string, string | number | bigint> = {}
  for (const [name, value] of Object.entries({ ...error.extra, ...error.values })) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') values[name] = value
  }
  // a limit's window (`windowSeconds`, rate_limited) in the reader's words: `{{window}}`, "1 hour", "1 ч"
  const windowSeconds = error.extra.windowSeconds
  if (typeof windowSeconds === 'number' && windowSeconds > 0) values.window = formatDuration(language, windowSeconds)
  try {
    return translate(language, 'problems', key, values)
  } catch {
    // a fact the text names is missing from this refusal: its own words rather than a hole (a test holds the files
    // to the facts the codes carry)
    return undefined
  }
}
