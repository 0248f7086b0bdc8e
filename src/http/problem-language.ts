/**
 * A problem document's words in the reader's language (DESIGN 19): `title` and `detail` follow Accept-Language (kk,
 * ru, en), from src/locales/<language>/problems.json (`title.<status>`, `detail.<code>`); `code`, `type`, `status`
 * and every other field never change. A detail's placeholders take the problem's facts (`retryAfterSeconds`,
 * `minimumAmount`...) and the values the edge adds (a route's method and path).
 *
 * Without an Accept-Language naming one of ours the document stays as it always was, byte for byte: English titles and
 * the detail as the code words it (Content-Language: en), so no client that never asked sees its problems change.
 * A code with no translated detail (the back office's and partners') keeps the code's words in every language.
 */
import { hasTranslation, preferredLanguage, translate, type Language } from '../lib/i18n.js'
import type { AppError } from './errors.js'

/** The language of a problem read by a client that names none of ours: the words the codes are written in. */
const UNNEGOTIATED = 'en'

export function localizedProblem (
  error: AppError, acceptLanguage: string | string[] | undefined
): { language: Language, title: string, detail: string } {
  const language = preferredLanguage(acceptLanguage)
  if (language === undefined) return { language: UNNEGOTIATED, title: error.title, detail: error.message }
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
  try {
    return translate(language, 'problems', key, values)
  } catch {
    // a fact the text names is missing from this refusal: its own words rather than a hole (a test holds the files
    // to the facts the codes carry)
    return undefined
  }
}
