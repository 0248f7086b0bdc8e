// The back office's search by personal data (DESIGN 20): a value is normalised the way it is stored (an IIN checked as
// typed, an email lowercased, a phone in E.164), then turned into its blind index; the plaintext goes no further. A
// value that cannot be one is refused as the schema refuses: 400 `validation_failed`, naming the parameter.
import { Type } from '@sinclair/typebox'
import { emailIndex, iinIndex, phoneIndex } from '../lib/blind-index.js'
import type { PiiCipher } from '../lib/crypto.js'
import { normalizeEmail } from '../lib/email.js'
import type { FieldError } from '../lib/errors.js'
import { validateIin } from '../lib/iin.js'
import { normalizeKzPhone } from '../lib/phone.js'
import { BadRequest } from './errors.js'

export const IinSearch = Type.String({
  pattern: '^[0-9]{12}$',
  description: 'The debtor\'s IIN, 12 digits with a right check digit and birth date (otherwise 400 ' +
    '`validation_failed`); matched by its blind index, never stored or logged in clear',
  examples: ['900101300017']
})

export const EmailSearch = Type.String({
  minLength: 3,
  maxLength: 254,
  description: 'The payer\'s email as given on acceptance, compared case-insensitively (a value that is no email: 400 ' +
    '`validation_failed`); matched by its blind index. Card payments only (Kaspi does not tell who paid)',
  examples: ['ivanov@example.kz']
})

export const PhoneSearch = Type.String({
  minLength: 5,
  maxLength: 30,
  description: 'The payer\'s Kazakhstan phone in any usual spelling (`+7 701 234 56 78`, `8 701 234 56 78`), ' +
    'normalised to E.164 (otherwise 400 `validation_failed`) and matched by its blind index. Card payments made ' +
    'since the phone index was added (migration 0038) only: older payments have no phone index',
  examples: ['+77012345678']
})

/** Blind indexes of the personal data a search names; only the members asked for. */
export interface SearchIndexes { iinIndex?: string, emailIndex?: string, phoneIndex?: string }

/** The blind indexes of `iin`, `email`, `phone` (each optional), or 400 `validation_failed` naming each bad one. */
export function searchIndexes (pii: PiiCipher, query: { iin?: string, email?: string, phone?: string }): SearchIndexes {
  const errors: FieldError[] = []
  const indexes: SearchIndexes = {}
  if (query.iin !== undefined) {
    const iin = validateIin(query.iin.trim())
    if (iin.ok) indexes.iinIndex = iinIndex(pii, iin.iin)
    else errors.push({ path: 'querystring.iin', message: `is not a valid IIN (${iin.reason})` })
  }
  if (query.email !== undefined) {
    const email = normalizeEmail(query.email)
    if (email.ok) indexes.emailIndex = emailIndex(pii, email.email)
    else errors.push({ path: 'querystring.email', message: 'is not an email address' })
  }
  if (query.phone !== undefined) {
    const phone = normalizeKzPhone(query.phone)
    if (phone.ok) indexes.phoneIndex = phoneIndex(pii, phone.e164)
    else errors.push({ path: 'querystring.phone', message: phone.reason === 'not_kazakhstan' ? 'is not a Kazakhstan number (+7 7xx…)' : 'is not a phone number' })
  }
  if (errors.length > 0) throw new BadRequest('validation_failed', 'The request does not match the schema', {}, errors)
  return indexes
}
