// DESIGN 19: the languages a person reads the service in. Kazakh is the state language; Russian is the default and
// the one every offer version must have.
export const LANGUAGES = ['kk', 'ru', 'en'] as const
export type Language = typeof LANGUAGES[number]
export const DEFAULT_LANGUAGE: Language = 'ru'

export function isLanguage (value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value)
}

/** A stored language read back: one the service no longer speaks (a legacy offer line) reads as Russian. */
export function languageOr (value: string | null | undefined): Language {
  return isLanguage(value) ? value : DEFAULT_LANGUAGE
}
