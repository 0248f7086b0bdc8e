import type { Database } from '../../db/database.js'
import type { PiiCipher } from '../../lib/crypto.js'
import { fromPublicId } from '../../lib/ids.js'
import { debtFactsOf, debtIdsOfContract, type DebtFacts } from '../debts/service.js'
import { listCallbacks, listEvents, listPayments } from './repository.js'
import { findPaymentByPublicId } from './service.js'
import { toAdminPayment } from './views.js'
import { isCallbackDigest } from './callback-log.js'
import { timelineDetails } from './schemas.js'
import type { PaymentChannel, PaymentRow, PaymentStatus } from './tables.js'
import { EMPTY_PAGE, toPage } from '../../lib/page.js'

/** The back office's view of payments: filters, and each payment's full timeline. */
async function withDebts (db: Database, rows: PaymentRow[]) {
  const debts = await debtFactsOf(db, [...new Set(rows.map((row) => row.debt_id))])
  return rows.map((row) => toAdminPayment(row, debts.get(row.debt_id) as DebtFacts))
}

export async function listAdminPayments (
  db: Database,
  query: {
    status?: PaymentStatus
    from?: string
    to?: string
    contractNumber?: string
    needsReview?: boolean
    channel?: PaymentChannel
    /** Blind indexes of the debtor's IIN and the payer's email and phone (http/search.ts computed them) */
    iinIndex?: string
    emailIndex?: string
    phoneIndex?: string
    paymentCode?: string
    creditorId?: string
    limit?: number
    startingAfter?: string
  }
) {
  const limit = query.limit ?? 20
  let debtIds: string[] | undefined
  if (query.contractNumber !== undefined) {
    debtIds = await debtIdsOfContract(db, query.contractNumber)
  }
  const creditorId = query.creditorId === undefined ? undefined : fromPublicId('creditor', query.creditorId)
  if (creditorId === null) return EMPTY_PAGE
  const debt = { iinIndex: query.iinIndex, paymentCode: query.paymentCode, creditorId }
  const debtAsked = Object.values(debt).some((value) => value !== undefined)
  const rows = await listPayments(db, {
    status: query.status,
    from: query.from === undefined ? undefined : new Date(query.from),
    to: query.to === undefined ? undefined : new Date(query.to),
    debtIds,
    needsReview: query.needsReview,
    channel: query.channel,
    emailIndex: query.emailIndex,
    phoneIndex: query.phoneIndex,
    debt: debtAsked ? debt : undefined,
    limit,
    startingAfter: query.startingAfter === undefined ? null : fromPublicId('payment', query.startingAfter)
  })
  return await toPage(rows, limit, async (shown) => await withDebts(db, shown))
}

/**
 * The bank signs values, not names: a genuine pg_sig (with its pg_salt) is all a replay under other names needs
 * (DESIGN 16). They stay in the stored evidence and are withheld from every reader of the timeline.
 */
// the signature's parts, and the card's token and id, which are close to a payment credential
const NOT_SHOWN = new Set(['pg_sig', 'pg_salt', 'pg_card_token', 'pg_card_id'])
export const WITHHELD_FROM_TIMELINE = '[withheld]'

function shownParams (params: unknown): unknown {
  if (params === null || typeof params !== 'object') return params
  return Object.fromEntries(Object.entries(params).map(([name, value]) => {
    return [name, NOT_SHOWN.has(name) ? WITHHELD_FROM_TIMELINE : value]
  }))
}

/** A valid callback is kept raw; an invalid one as a bounded digest (its params are the values' first characters). */
function callbackDetails (replyDescription: string, stored: unknown): Record<string, unknown> {
  if (isCallbackDigest(stored)) {
    const { params, ...digest } = stored
    return { replyDescription, params: shownParams(params), digest }
  }
  return { replyDescription, params: shownParams(stored) }
}

export async function getAdminPayment (deps: { db: Database, pii: PiiCipher }, publicId: string) {
  const row = await findPaymentByPublicId(deps.db, publicId)
  const [payment] = await withDebts(deps.db, [row]) as [ReturnType<typeof toAdminPayment>]
  const events = (await listEvents(deps.db, row.id)).map((e) => ({ at: e.created_at, kind: 'event' as const, type: e.type, details: timelineDetails(e.details) }))
  const callbacks = (await listCallbacks(deps.db, row.id)).map((c) => ({
    at: c.received_at,
    kind: 'callback' as const,
    type: c.kind,
    signatureValid: c.signature_valid,
    reply: c.reply_status,
    details: callbackDetails(c.reply_description, JSON.parse(deps.pii.decrypt(c.raw_encrypted)) as unknown)
  }))
  const timeline = [...events, ...callbacks].sort((a, b) => a.at.getTime() - b.at.getTime())
    .map((entry) => ({ ...entry, at: entry.at.toISOString() }))
  return { ...payment, timeline }
}

