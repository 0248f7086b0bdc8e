import type { AgencyRequisites } from '../../config.js'
import type { Database } from '../../db/database.js'
import { almatyDate } from '../../lib/calendar.js'
import type { PiiCipher } from '../../lib/crypto.js'
import { normalizeEmail } from '../../lib/email.js'
import { fromPublicId, toPublicId, uuidv7 } from '../../lib/ids.js'
import { validateIin } from '../../lib/iin.js'
import { normalizeName } from '../../lib/names.js'
import { Conflict, NotFound, Unprocessable } from '../../http/errors.js'
import { enqueueJob } from '../../jobs/queue.js'
import { emailIndex } from '../acceptances/service.js'
import { businessDaysAfter } from '../calendar/service.js'
import { iinIndex } from '../debts/import-service.js'
import { PRIVACY_ERASURE_TASK } from './erasure.js'
import {
  findPrivacyRequest, insertPrivacyRequest, listPrivacyRequests, privacyDb, withdrawConsent, type PrivacyRequestRow
} from './repository.js'
import type {
  AdminPrivacyRequest, CreatedPrivacyRequest, CreatePrivacyRequestInput, DestructionConfirmation, PrivacyRequest, PrivacyRequestQueryInput
} from './schemas.js'

// offer cl. 16: processing stops and the data is destroyed within 30 business days of receipt.
const DESTRUCTION_BUSINESS_DAYS = 30

interface Deps { db: Database, pii: PiiCipher }

export function toPrivacyRequest (row: PrivacyRequestRow): PrivacyRequest {
  return {
    id: toPublicId('privacyRequest', row.id),
    status: row.status,
    dueAt: row.due_at,
    receivedAt: row.received_at.toISOString(),
    holdReason: row.hold_reason,
    completedAt: row.completed_at?.toISOString() ?? null
  }
}

export function toAdminPrivacyRequest (row: PrivacyRequestRow, now = new Date()): AdminPrivacyRequest {
  return {
    ...toPrivacyRequest(row),
    overdue: row.status !== 'completed' && row.due_at < almatyDate(now),
    confirmationNumber: row.confirmation_number,
    erased: row.erased_counts
  }
}

export function privacyRequestNotFound (): NotFound {
  return new NotFound('privacy_request_not_found', 'No privacy request with this id')
}

/**
 * offer cl. 16: the client withdraws consent. Processing for new purposes
 * stops in this very transaction (every acceptance given with this email is
 * marked); destruction follows in the worker. The answer is the same whether
 * or not the email is known, so the endpoint tells nobody who paid.
 */
export async function submitPrivacyRequest (deps: Deps, input: CreatePrivacyRequestInput): Promise<CreatedPrivacyRequest> {
  const email = normalizeEmail(input.email)
  if (!email.ok) throw new Unprocessable('invalid_email', 'The email address is not valid', {}, [{ path: 'body.email', message: 'not a valid email address' }])
  let iin: string | null = null
  if (input.iin !== undefined) {
    const checked = validateIin(input.iin.trim())
    if (!checked.ok) throw new Unprocessable('invalid_iin', 'The IIN is not valid: 12 digits with a correct check digit', {}, [{ path: 'body.iin', message: `invalid (${checked.reason})` }])
    iin = checked.iin
  }
  const fullName = normalizeName(input.fullName)
  if (fullName === '') throw new Unprocessable('invalid_full_name', 'The full name is empty', {}, [{ path: 'body.fullName', message: 'must not be blank' }])

  const receivedAt = new Date()
  const dueAt = await businessDaysAfter(deps.db, receivedAt, DESTRUCTION_BUSINESS_DAYS)
  const index = emailIndex(deps.pii, email.email)
  return await privacyDb(deps.db).transaction().execute(async (trx) => {
    const row = await insertPrivacyRequest(trx, {
      id: uuidv7(),
      email_index: index,
      // The written notice names the person (cl. 16); the IIN helps an operator tell them apart. Destroyed with the rest.
      iin_index: iin === null ? null : iinIndex(deps.pii, iin),
      full_name_encrypted: deps.pii.encrypt(fullName),
      due_at: dueAt,
      received_at: receivedAt
    })
    await withdrawConsent(trx, index, receivedAt)
    await enqueueJob(trx, PRIVACY_ERASURE_TASK, { requestId: row.id })
    return { id: toPublicId('privacyRequest', row.id), status: row.status, dueAt: row.due_at, receivedAt: row.received_at.toISOString() }
  })
}

async function findByPublicId (db: Database, publicId: string): Promise<PrivacyRequestRow> {
  const id = fromPublicId('privacyRequest', publicId)
  const row = id === null ? undefined : await findPrivacyRequest(privacyDb(db), id)
  if (row === undefined) throw privacyRequestNotFound()
  return row
}

export async function getPrivacyRequest (db: Database, publicId: string): Promise<PrivacyRequest> {
  return toPrivacyRequest(await findByPublicId(db, publicId))
}

export async function getAdminPrivacyRequest (db: Database, publicId: string): Promise<AdminPrivacyRequest> {
  return toAdminPrivacyRequest(await findByPublicId(db, publicId))
}

export async function listPrivacyRequestsPage (db: Database, query: PrivacyRequestQueryInput) {
  const limit = query.limit ?? 20
  const now = new Date()
  const rows = await listPrivacyRequests(privacyDb(db), {
    status: query.status,
    overdueBefore: query.overdue === true ? almatyDate(now) : undefined,
    limit,
    startingAfter: query.startingAfter === undefined ? null : fromPublicId('privacyRequest', query.startingAfter)
  })
  const data = rows.slice(0, limit).map((row) => toAdminPrivacyRequest(row, now))
  return { data, hasMore: rows.length > limit, nextCursor: rows.length > limit ? (data.at(-1)?.id ?? null) : null }
}

/** offer cl. 16: the written confirmation of destruction, once it happened. */
export async function getDestructionConfirmation (deps: { db: Database, agency: AgencyRequisites }, publicId: string): Promise<DestructionConfirmation> {
  const row = await findByPublicId(deps.db, publicId)
  if (row.status !== 'completed' || row.completed_at === null || row.confirmation_number === null || row.erased_counts === null) {
    throw new Conflict('confirmation_not_available', `The personal data is not destroyed yet (status ${row.status}); the confirmation is issued once it is, by ${row.due_at}`)
  }
  const { name, bin, address } = deps.agency
  return {
    requestId: publicId,
    confirmationNumber: row.confirmation_number,
    completedAt: row.completed_at.toISOString(),
    dueAt: row.due_at,
    controller: { name, bin, address },
    statement: destructionStatement({ name, bin, requestId: publicId, receivedAt: row.received_at, completedAt: row.completed_at }),
    erased: row.erased_counts
  }
}

function russianDate (instant: Date): string {
  return almatyDate(instant).split('-').reverse().join('.')
}

function destructionStatement (facts: { name: string, bin: string, requestId: string, receivedAt: Date, completedAt: Date }): string {
  return `${facts.name} (БИН ${facts.bin}) подтверждает, что по заявлению об отзыве согласия на обработку персональных данных ` +
    `№ ${facts.requestId}, полученному ${russianDate(facts.receivedAt)}, персональные данные заявителя (фамилия, имя, отчество, ` +
    'адрес электронной почты, номер телефона, IP-адрес, сведения о браузере, тексты обращений и сообщений банка) уничтожены ' +
    `${russianDate(facts.completedAt)} в соответствии с Законом Республики Казахстан «О персональных данных и их защите» ` +
    'и пунктом 16 Публичной оферты. Сведения о совершённых платежах и возвратах (суммы, даты, статусы) хранятся без персональных ' +
    'данных заявителя в объёме и в сроки, установленные законодательством Республики Казахстан о бухгалтерском учёте и финансовой ' +
    'отчётности. Сведения о должнике, переданные кредитором для взыскания задолженности, обрабатываются на ином законном основании ' +
    'и настоящим подтверждением не охватываются.'
}
