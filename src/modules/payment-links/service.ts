// Payment links (DESIGN 17): an operator or a partner makes a link to one debt, and the letter that prints it lets
// its holder pay that debt without typing the contract number and the IIN.
import type { Database, Handle } from '../../db/database.js'
import type { PiiCipher } from '../../lib/crypto.js'
import { DomainError } from '../../lib/errors.js'
import { fromPublicId, toPublicId, uuidv7 } from '../../lib/ids.js'
import { toPage, type Page } from '../../lib/page.js'
import { recordAudit, type Actor } from '../audit/service.js'
import { listCreditorDebts, payableDebtLookup } from '../debts/service.js'
import type { DebtRow } from '../debts/tables.js'
import {
  findLiveLinkByTokenHash, findPaymentLink, insertPaymentLinks, listPaymentLinksOfDebt, revokePaymentLinkRow
} from './repository.js'
import type {
  CreatedPaymentLink, CreatePaymentLinkInput, CreatePaymentLinksInput, PaymentLink, PaymentLinkLookup,
  PaymentLinkStatus
} from './schemas.js'
import type { PaymentLinkRow } from './tables.js'
import { newPaymentLinkToken, paymentLinkTokenHash } from './token.js'

export interface PaymentLinkDeps {
  db: Database
  pii: PiiCipher
  /** AGENCY_WEBSITE: a link's URL is this + `/pay/` + token. */
  website: string
  /** The smallest payment (PAYMENT_MIN_AMOUNT): a link cannot fix less. */
  minAmount: bigint
}

/** Who makes and sees links: the back office (every debt) or a partner (its creditors' debts only). */
export type LinkOwner = { kind: 'admin' } | { kind: 'partner', creditors: string[] }

const DAY_MS = 24 * 60 * 60 * 1000
/** DESIGN 17: a link lives 30 days unless told otherwise. */
const DEFAULT_LIFETIME_MS = 30 * DAY_MS
/** A letter's link is not a standing credential: a year at most. */
const MAX_LIFETIME_MS = 365 * DAY_MS

function statusOf (row: PaymentLinkRow, now: Date): PaymentLinkStatus {
  if (row.revoked_at !== null) return 'revoked'
  return row.expires_at.getTime() <= now.getTime() ? 'expired' : 'active'
}

function toPaymentLink (row: PaymentLinkRow, now = new Date()): PaymentLink {
  return {
    id: toPublicId('paymentLink', row.id),
    debtId: toPublicId('debt', row.debt_id),
    amount: row.amount === null ? null : Number(row.amount),
    expiresAt: row.expires_at.toISOString(),
    createdAt: row.created_at.toISOString(),
    status: statusOf(row, now),
    revokedAt: row.revoked_at?.toISOString() ?? null
  }
}

function toCreatedLink (row: PaymentLinkRow, token: string, website: string): CreatedPaymentLink {
  const { revokedAt: _revokedAt, status: _status, ...link } = toPaymentLink(row)
  return { ...link, url: `${website.replace(/\/+$/, '')}/pay/${token}`, token, status: 'active' }
}

export function paymentLinkNotFound (): DomainError {
  return new DomainError('payment_link_not_found', 'No active payment link with this token')
}

function linkNotFound (): DomainError {
  return new DomainError('payment_link_not_found', 'No payment link with this id')
}

function debtNotFound (): DomainError {
  return new DomainError('debt_not_found', 'No debt with this id')
}

function expiryOf (input: string | undefined, now: Date): Date {
  if (input === undefined) return new Date(now.getTime() + DEFAULT_LIFETIME_MS)
  const at = new Date(input)
  const ms = at.getTime()
  if (Number.isNaN(ms) || ms <= now.getTime() || ms > now.getTime() + MAX_LIFETIME_MS) {
    throw new DomainError('invalid_expiry', 'A link expires in the future, at most 365 days from now', { errors: [{ path: 'body.expiresAt', message: 'must be in the future, at most 365 days ahead' }] })
  }
  return at
}

/** The debts of these ids the owner may see, by id (with their outstanding amounts). */
async function debtsInScope (db: Handle, owner: LinkOwner, ids: string[]): Promise<Map<string, DebtRow>> {
  const creditors = owner.kind === 'admin' ? null : owner.creditors
  const rows = await listCreditorDebts(db, creditors, { ids, limit: ids.length, startingAfter: null })
  return new Map(rows.map((row) => [row.id, row]))
}

/** The debt a link is made for or listed by: unknown and another creditor's alike are 404. */
async function debtOfOwner (db: Handle, owner: LinkOwner, publicId: string): Promise<DebtRow> {
  const id = fromPublicId('debt', publicId)
  const debt = id === null ? undefined : (await debtsInScope(db, owner, [id])).get(id)
  if (debt === undefined) throw debtNotFound()
  return debt
}

/**
 * A link to one payable debt, optionally fixing the amount (at least the minimum payment, at most what is
 * outstanding now). The token is in this answer only.
 */
export async function createPaymentLink (
  deps: PaymentLinkDeps, owner: LinkOwner, actor: Actor, input: CreatePaymentLinkInput
): Promise<CreatedPaymentLink> {
  const now = new Date()
  const expiresAt = expiryOf(input.expiresAt, now)
  return await deps.db.transaction().execute(async (trx) => {
    const debt = await debtOfOwner(trx, owner, input.debtId)
    if (debt.status !== 'active') throw new DomainError('debt_not_payable', 'This debt can no longer be paid (settled or recalled): it takes no payment link')
    const amount = input.amount === undefined ? null : BigInt(input.amount)
    if (amount !== null && amount < deps.minAmount) {
      throw new DomainError('amount_below_minimum', `The minimum payment is ${deps.minAmount} tiyn`, {
        facts: { minimumAmount: Number(deps.minAmount) },
        errors: [{ path: 'body.amount', message: `must be at least ${deps.minAmount}` }]
      })
    }
    if (amount !== null && amount > debt.outstanding) {
      throw new DomainError('amount_exceeds_outstanding', 'The amount is more than the outstanding balance', {
        errors: [{ path: 'body.amount', message: `must be at most ${debt.outstanding}` }]
      })
    }
    const { token, hash } = newPaymentLinkToken()
    const [row] = await insertPaymentLinks(trx, [{
      id: uuidv7(), debt_id: debt.id, token_hash: hash, amount, expires_at: expiresAt, created_by_key_id: actor.keyId
    }]) as [PaymentLinkRow]
    const link = toCreatedLink(row, token, deps.website)
    await recordAudit(trx, actor, {
      action: 'payment_link.created',
      entityType: 'payment_link',
      entityId: link.id,
      details: { debtId: link.debtId, amount: link.amount, expiresAt: link.expiresAt, by: owner.kind }
    })
    return link
  })
}

/**
 * One link per debt for a mailing, all or nothing: an unknown debt or one no longer payable fails the whole batch
 * (422 `debts_not_linkable`, naming each), so a letter run never goes out half-linked.
 */
export async function createPaymentLinks (
  deps: PaymentLinkDeps, actor: Actor, input: CreatePaymentLinksInput
): Promise<{ data: CreatedPaymentLink[] }> {
  const now = new Date()
  const expiresAt = expiryOf(input.expiresAt, now)
  const ids = input.debtIds.map((publicId) => fromPublicId('debt', publicId) ?? '')
  return await deps.db.transaction().execute(async (trx) => {
    const debts = await debtsInScope(trx, { kind: 'admin' }, ids.filter((id) => id !== ''))
    const refused = input.debtIds.flatMap((publicId, i) => {
      const status = debts.get(ids[i] as string)?.status
      if (status === 'active') return []
      return [{ publicId, path: `body.debtIds.${i}`, message: status === undefined ? 'no debt with this id' : `not payable (${status})` }]
    })
    if (refused.length > 0) {
      throw new DomainError('debts_not_linkable', `${refused.length} of the debts are unknown or no longer payable: no link was made`, {
        facts: { debtIds: refused.map((r) => r.publicId) },
        errors: refused.map((r) => ({ path: r.path, message: r.message }))
      })
    }
    const made = ids.map((debtId) => ({ id: uuidv7(), debtId, ...newPaymentLinkToken() }))
    const rows = await insertPaymentLinks(trx, made.map((link) => ({
      id: link.id, debt_id: link.debtId, token_hash: link.hash, amount: null, expires_at: expiresAt,
      created_by_key_id: actor.keyId
    })))
    const rowOf = new Map(rows.map((row) => [row.id, row]))
    const data = made.map((link) => toCreatedLink(rowOf.get(link.id) as PaymentLinkRow, link.token, deps.website))
    await recordAudit(trx, actor, {
      action: 'payment_link.created_batch',
      entityType: 'payment_link',
      entityId: null,
      details: { count: data.length, expiresAt: expiresAt.toISOString(), links: data.map((link) => link.id) }
    })
    return { data }
  })
}

/** A debt's links, oldest first, never their tokens. */
export async function listPaymentLinks (
  deps: PaymentLinkDeps,
  owner: LinkOwner,
  query: { debtId: string, limit?: number, startingAfter?: string }
): Promise<Page<PaymentLink>> {
  const debt = await debtOfOwner(deps.db, owner, query.debtId)
  const limit = query.limit ?? 20
  const startingAfter = query.startingAfter === undefined ? null : fromPublicId('paymentLink', query.startingAfter)
  const rows = await listPaymentLinksOfDebt(deps.db, debt.id, limit, startingAfter)
  const now = new Date()
  return toPage(rows, limit, (shown) => shown.map((row) => toPaymentLink(row, now)))
}

/** The link stops working at once; revoking it again answers it as it is. Another creditor's link is 404. */
export async function revokePaymentLink (
  deps: PaymentLinkDeps, owner: LinkOwner, actor: Actor, publicId: string
): Promise<PaymentLink> {
  const id = fromPublicId('paymentLink', publicId)
  if (id === null) throw linkNotFound()
  return await deps.db.transaction().execute(async (trx) => {
    const row = await findPaymentLink(trx, id, { forUpdate: true })
    if (row === undefined) throw linkNotFound()
    if (owner.kind === 'partner' && !(await debtsInScope(trx, owner, [row.debt_id])).has(row.debt_id)) {
      throw linkNotFound()
    }
    if (row.revoked_at !== null) return toPaymentLink(row)
    const revoked = await revokePaymentLinkRow(trx, id, new Date())
    await recordAudit(trx, actor, {
      action: 'payment_link.revoked',
      entityType: 'payment_link',
      entityId: publicId,
      details: { debtId: toPublicId('debt', row.debt_id), by: owner.kind }
    })
    return toPaymentLink(revoked)
  })
}

/**
 * The public answer to a link: the lookup's, and the amount it fixes. An unknown, revoked or expired token and a
 * debt no longer payable give the same 404. No IIN is asked and the contract's lookup lock does not apply: the
 * letter proves possession, and a token of 192 random bits cannot be guessed.
 */
export async function getPaymentLinkLookup (
  deps: Pick<PaymentLinkDeps, 'db' | 'pii'>, token: string
): Promise<PaymentLinkLookup> {
  const link = await findLiveLinkByTokenHash(deps.db, paymentLinkTokenHash(token))
  const debt = link === undefined ? null : await payableDebtLookup(deps, link.debt_id)
  if (link === undefined || debt === null) throw paymentLinkNotFound()
  return { ...debt, amount: link.amount === null ? null : Number(link.amount) }
}

/** The live link of a token, for an acceptance made through it; the public 404 otherwise. */
export async function resolvePaymentLink (db: Handle, token: string): Promise<{ id: string, debtId: string }> {
  const link = await findLiveLinkByTokenHash(db, paymentLinkTokenHash(token))
  if (link === undefined) throw paymentLinkNotFound()
  return { id: link.id, debtId: link.debt_id }
}

/**
 * A payment through a link (its acceptance names the link): the link must still be live (a revoked or expired link
 * starts no payment, whenever its acceptance was made), and a link that fixes the amount takes that amount alone.
 */
export async function assertPaymentFitsLink (db: Handle, linkId: string, amount: bigint): Promise<void> {
  const link = await findPaymentLink(db, linkId)
  if (link === undefined || statusOf(link, new Date()) !== 'active') throw paymentLinkNotFound()
  if (link.amount !== null && link.amount !== amount) {
    throw new DomainError('amount_differs_from_link', `The payment link fixes the amount at ${link.amount} tiyn`, {
      facts: { linkAmount: Number(link.amount) },
      errors: [{ path: 'body.amount', message: `must be ${link.amount}` }]
    })
  }
}
