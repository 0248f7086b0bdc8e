// What the agency owes its agency-agreement creditors (DESIGN 18): the transfers that pay them (remittances) and the
// statements that show what was owed, collected, refunded, kept as commission and remitted over a range of
// Asia/Almaty days. Every figure is read from the ledger's lines (the creditor's payable account and the entries on
// it), so a statement ties to the ledger by construction (docs/ledger.md).
import { isUniqueViolation, type Database } from '../../db/database.js'
import type { Actor } from '../../lib/actor.js'
import { almatyDay, almatyDays, almatyTime } from '../../lib/almaty-day.js'
import { almatyDate } from '../../lib/calendar.js'
import { DomainError } from '../../lib/errors.js'
import { fromPublicId, toPublicId, uuidv7 } from '../../lib/ids.js'
import { CURRENCY } from '../../lib/money.js'
import { toPage, type Page } from '../../lib/page.js'
import type { Table, TableCell } from '../../lib/tabular.js'
import { recordAudit } from '../audit/service.js'
import { findCreditorRow } from '../creditors/service.js'
import { payableKey, remit } from '../ledger/service.js'
import {
  collectionEntries, findRemittanceByReference, insertRemittance, listRemittanceRows, payableAccountOf, payableEntries,
  payableMovedSince,
  type StatementEntryRow
} from './repository.js'
import {
  STATEMENT_COLUMNS, type CreateRemittanceInput, type Remittance, type Statement, type StatementLine
} from './schemas.js'
import type { RemittanceRow } from './tables.js'

const unknownCreditor = (): DomainError => new DomainError('unknown_creditor', 'No creditor with this id')

function toRemittance (row: RemittanceRow): Remittance {
  return {
    id: toPublicId('remittance', row.id),
    creditorId: toPublicId('creditor', row.creditor_id),
    amount: Number(row.amount),
    reference: row.reference,
    date: row.date,
    ledgerEntryId: toPublicId('ledgerEntry', row.entry_id),
    createdAt: row.created_at.toISOString()
  }
}

/** The creditor's uuid behind a public id, or 404 `unknown_creditor`. */
async function creditorOf (db: Database, publicId: string) {
  const id = fromPublicId('creditor', publicId)
  const row = id === null ? undefined : await findCreditorRow(db, id)
  if (row === undefined) throw unknownCreditor()
  return row
}

/** A transfer's date: a real Almaty day, not after today in Almaty (422 `invalid_date`). */
function checkTransferDate (date: string, now: Date): void {
  const refused = (message: string): DomainError => new DomainError('invalid_date', 'The transfer\'s `date` must ' +
    'be a real Asia/Almaty calendar day, YYYY-MM-DD, not in the future', { errors: [{ path: 'body.date', message }] })
  try {
    almatyDay(date)
  } catch (error) {
    if (error instanceof DomainError) throw refused('not a calendar day in range')
    throw error
  }
  if (date > almatyDate(now)) throw refused('in the future (Asia/Almaty)')
}

/**
 * A transfer to the creditor of what the agency owes it: a `remittance` entry (bank -amount, creditor_payable
 * +amount) and its record, audit-logged, in one transaction. 422 `remittance_exceeds_payable` above what is owed now
 * (the ledger locks the payable account, so racing remittances take turns and never together exceed it).
 */
export async function createRemittance (
  db: Database, actor: Actor, creditorPublicId: string, input: CreateRemittanceInput
): Promise<Remittance> {
  checkTransferDate(input.date, new Date())
  const creditor = await creditorOf(db, creditorPublicId)
  const amount = BigInt(input.amount)
  // a transfer has one reference (a unique index holds it against a race): the same one again is a retry
  if (await findRemittanceByReference(db, creditor.id, input.reference) !== undefined) {
    throw alreadyRecorded(input.reference)
  }
  try {
    return await book(db, actor, creditor.id, amount, input)
  } catch (error) {
    if (isUniqueViolation(error)) throw alreadyRecorded(input.reference)
    throw error
  }
}

function alreadyRecorded (reference: string): DomainError {
  return new DomainError('remittance_already_recorded',
    `A remittance with the reference ${JSON.stringify(reference)} is already recorded for this creditor`)
}

async function book (
  db: Database, actor: Actor, creditorId: string, amount: bigint, input: CreateRemittanceInput
): Promise<Remittance> {
  return await db.transaction().execute(async (trx) => {
    const id = uuidv7()
    const entryId = await remit(trx, { creditorId, amount, remittanceId: id })
    const row = await insertRemittance(trx, {
      id,
      creditor_id: creditorId,
      amount,
      reference: input.reference,
      date: input.date,
      entry_id: entryId,
      created_by_key_id: actor.keyId
    })
    const view = toRemittance(row)
    await recordAudit(trx, actor, {
      action: 'remittance.created',
      entityType: 'remittance',
      entityId: view.id,
      details: { creditorId: view.creditorId, amount: view.amount, reference: view.reference, date: view.date }
    })
    return view
  })
}

export async function listRemittances (
  db: Database, creditorPublicId: string, query: { limit?: number, startingAfter?: string }
): Promise<Page<Remittance>> {
  const creditor = await creditorOf(db, creditorPublicId)
  const limit = query.limit ?? 20
  const startingAfter = query.startingAfter === undefined ? null : fromPublicId('remittance', query.startingAfter)
  const rows = await listRemittanceRows(db, { creditorId: creditor.id, limit, startingAfter })
  return toPage(rows, limit, (shown) => shown.map(toRemittance))
}

// --- statements ------------------------------------------------------------------

interface Figures { collected: bigint, refunded: bigint, commission: bigint, remitted: bigint }

function tooLarge (maxLines: number): DomainError {
  return new DomainError('report_too_large', `The statement would hold more than ${maxLines} lines: narrow the date ` +
    'range', { facts: { maxLines } })
}

/** The lines of one entry on a payable account, and what they add to the figures. */
function payableLines (row: StatementEntryRow, figures: Figures): Array<Omit<StatementLine, 'date' | 'time'>> {
  const base = { entryKind: row.kind as StatementLine['entryKind'], ledgerEntryId: toPublicId('ledgerEntry', row.entry_id) }
  const payable = BigInt(row.amount)
  const commission = BigInt(row.commission)
  const payment = row.payment_id === null ? {} : { paymentId: toPublicId('payment', row.payment_id) }
  if (row.kind === 'remittance') {
    figures.remitted += payable
    return [{
      ...base, kind: 'remitted', amount: Number(payable), remittanceId: toPublicId('remittance', row.reference_id),
      ...(row.remittance_reference === null ? {} : { reference: row.remittance_reference }),
      ...(row.remittance_date === null ? {} : { transferDate: row.remittance_date })
    }]
  }
  if (row.kind === 'payment_received') {
    // payable -(applied - commission), commission -commission: applied = -(payable + commission)
    const applied = -(payable + commission)
    figures.collected += applied
    figures.commission += -commission
    const lines: Array<Omit<StatementLine, 'date' | 'time'>> = [
      { ...base, kind: 'collected', amount: Number(applied), ...payment }
    ]
    if (commission !== 0n) lines.push({ ...base, kind: 'commission', amount: Number(-commission), ...payment })
    return lines
  }
  // a refund or return: payable +(restored - commission back), commission +commission back
  const restored = payable + commission
  figures.refunded += restored
  figures.commission += -commission
  const refund = { ...payment, refundId: toPublicId('refund', row.reference_id) }
  const lines: Array<Omit<StatementLine, 'date' | 'time'>> = [
    { ...base, kind: 'refunded', amount: Number(restored), ...refund }
  ]
  if (commission !== 0n) lines.push({ ...base, kind: 'commission', amount: Number(-commission), ...refund })
  return lines
}

/** An assignment creditor's entry: its receivable line, - collected, + restored. */
function collectionLine (row: StatementEntryRow, figures: Figures): Omit<StatementLine, 'date' | 'time'> {
  const amount = BigInt(row.amount)
  const payment = row.payment_id === null ? {} : { paymentId: toPublicId('payment', row.payment_id) }
  const base = { entryKind: row.kind as StatementLine['entryKind'], ledgerEntryId: toPublicId('ledgerEntry', row.entry_id) }
  if (row.kind === 'payment_received') {
    figures.collected += -amount
    return { ...base, kind: 'collected', amount: Number(-amount), ...payment }
  }
  figures.refunded += amount
  return { ...base, kind: 'refunded', amount: Number(amount), ...payment, refundId: toPublicId('refund', row.reference_id) }
}

/**
 * A creditor's statement over Asia/Almaty days `from` to `to` (both included, at most 366: 422 `invalid_date_range`,
 * as the reports). An agency creditor (or one ever owed anything): opening and closing are what its payable account
 * says is owed at the range's first and last instants (the balance now less what moved since, read in one snapshot),
 * and closing = opening + collected - refunded - commission - remitted, every figure the sum of its lines. An
 * assignment creditor is owed nothing: collected and refunded are its debts' receivable lines, the rest 0.
 */
export async function creditorStatement (
  db: Database, creditorUuid: string, days: { from: string, to: string }, maxLines: number
): Promise<Statement> {
  const range = almatyDays(days.from, days.to)
  return await db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
    const creditor = await findCreditorRow(trx, creditorUuid)
    if (creditor === undefined) throw unknownCreditor()
    const account = await payableAccountOf(trx, payableKey(creditor.id))
    const figures: Figures = { collected: 0n, refunded: 0n, commission: 0n, remitted: 0n }
    let opening = 0n
    let closing = 0n
    let rows: StatementEntryRow[]
    const limit = maxLines + 1
    if (account !== undefined) {
      // owed = -balance (the account is credit-normal)
      opening = -(account.balance - await payableMovedSince(trx, account.id, range.from))
      closing = -(account.balance - await payableMovedSince(trx, account.id, range.to))
      rows = await payableEntries(trx, { accountId: account.id, from: range.from, to: range.to, limit })
    } else {
      rows = await collectionEntries(trx, { creditorId: creditor.id, from: range.from, to: range.to, limit })
    }
    if (rows.length > maxLines) throw tooLarge(maxLines)
    const lines: StatementLine[] = []
    for (const row of rows) {
      const when = { date: almatyDate(row.created_at), time: almatyTime(row.created_at) }
      const made = account !== undefined ? payableLines(row, figures) : [collectionLine(row, figures)]
      for (const line of made) lines.push({ ...when, ...line })
    }
    if (lines.length > maxLines) throw tooLarge(maxLines)
    return {
      creditorId: toPublicId('creditor', creditor.id),
      creditor: creditor.name,
      agreement: creditor.agreement_kind,
      basis: account !== undefined ? 'payable' as const : 'collections' as const,
      from: days.from,
      to: days.to,
      timezone: 'Asia/Almaty' as const,
      currency: CURRENCY,
      opening: Number(opening),
      collected: Number(figures.collected),
      refunded: Number(figures.refunded),
      commission: Number(figures.commission),
      remitted: Number(figures.remitted),
      closing: Number(closing),
      lines
    }
  })
}

/** The admin's statement: any creditor by its public id (404 `unknown_creditor`). */
export async function adminStatement (
  db: Database, creditorPublicId: string, days: { from: string, to: string }, maxLines: number
): Promise<Statement> {
  const id = fromPublicId('creditor', creditorPublicId)
  if (id === null) throw unknownCreditor()
  return await creditorStatement(db, id, days, maxLines)
}

/**
 * A partner's statement: one of its key's creditors (`creditorId`; one outside the key is the same 404 as an unknown
 * one), or the key's only creditor when omitted (422 `statement_creditor_required` when it has several).
 */
export async function partnerStatement (
  db: Database, keyCreditors: string[], creditorPublicId: string | undefined, days: { from: string, to: string },
  maxLines: number
): Promise<Statement> {
  let id: string | null
  if (creditorPublicId === undefined) {
    if (keyCreditors.length !== 1) {
      throw new DomainError('statement_creditor_required', 'This key is bound to several creditors: name one with ' +
        '`creditorId`', { errors: [{ path: 'querystring.creditorId', message: 'required: the key has several creditors' }] })
    }
    id = keyCreditors[0] ?? null
  } else {
    id = fromPublicId('creditor', creditorPublicId)
  }
  if (id === null || !keyCreditors.includes(id)) throw unknownCreditor()
  return await creditorStatement(db, id, days, maxLines)
}

const FIGURES = ['opening', 'collected', 'refunded', 'commission', 'remitted', 'closing'] as const

function* statementRows (statement: Statement): Generator<TableCell[]> {
  for (const line of statement.lines) {
    yield ['line', line.date, line.time, line.kind, line.amount, line.amount, line.entryKind, line.paymentId ?? null,
      line.refundId ?? null, line.remittanceId ?? null, line.reference ?? null, line.transferDate ?? null,
      line.ledgerEntryId, statement.creditorId, null, null]
  }
  for (const figure of FIGURES) {
    yield ['total', null, null, figure, statement[figure], statement[figure], null, null, null, null, null, null, null,
      statement.creditorId, statement.from, statement.to]
  }
}

/**
 * The statement as one table (its CSV's and XLSX's): a `line` row per line, then a `total` row per figure (opening,
 * collected, refunded, commission, remitted, closing; the figure's name in `kind`, the days in `period_from` and
 * `period_to`).
 */
export function statementTable (statement: Statement): Table {
  return { sheet: 'statement', columns: STATEMENT_COLUMNS, rows: statementRows(statement) }
}

/** `statement-cred_…-2026-12-01_2026-12-31`, without the extension. */
export function statementFilename (statement: Statement): string {
  return `statement-${statement.creditorId}-${statement.from}_${statement.to}`
}
