// An acquirer's payout booked against our payments (DESIGN 18; docs/ledger.md, `settlement`). The card acquirer and
// Kaspi each pay the agency what they took for us, less their fee, in payouts; the payout's registry names each
// payment (the bank's payment id, Kaspi's txn_id) with its amount and fee. A line matches when it names a succeeded
// payment of the channel that no payout settled yet, for its whole amount; the matched lines are one `settlement`
// entry (clearing:<channel> -gross, bank +net, fees:<channel> +fee), their payments marked settled. Every other line
// is listed with its reason and its payment (when there is one) flagged for review: nothing of it is booked.
//
// Once per payout: the first upload of a channel's payout id is stored with its answer; the same payout id again
// answers that, booking nothing, even when the file differs (a payout is one fact; an acquirer's correction is an
// operator's matter, and the stored file's SHA-256 says which file was booked). Uploads of one channel take turns
// (an advisory lock), and a payment has at most one payment_settlements row (its primary key), so a payment is never
// settled twice, whether two uploads race or two payouts name it.
//
// A payment refunded (in part) before its payout is matched at its own amount: acquirers pay out what they took and
// net refunds elsewhere. If that leaves the channel's clearing account short, the payout is refused whole (409
// `settlement_exceeds_clearing`). A `returned` payment is `not_succeeded`: its money already left the books.
import { createHash } from 'node:crypto'
import type { Database } from '../../db/database.js'
import { containsCardNumber } from '../../lib/card-data.js'
import { DomainError } from '../../lib/errors.js'
import { fromPublicId, toPublicId, uuidv7 } from '../../lib/ids.js'
import { toPage } from '../../lib/page.js'
import { recordAudit, type Actor } from '../audit/service.js'
import { settlePayout } from '../ledger/service.js'
import { flagPayoutDisagreement, markPaymentsSettled } from '../payments/service.js'
import { readPayoutFile } from './file.js'
import {
  findSettlement, findSettlementOfPayout, insertPaymentSettlements, insertSettlement, listSettlements,
  lockChannelSettlements, paymentsOfReferences, settledAmong
} from './repository.js'
import type { Settlement } from './schemas.js'
import type { SettlementChannel, SettlementRow, UnmatchedLine, UnmatchedReason } from './tables.js'

const WITHHELD = '[withheld: looks like a card number]'

function figuresOf (row: SettlementRow) {
  return {
    id: toPublicId('settlement', row.id),
    channel: row.channel,
    payoutId: row.payout_id,
    payoutDate: row.payout_date,
    lines: row.lines,
    matched: row.matched,
    gross: Number(row.gross),
    fees: Number(row.fees),
    net: Number(row.net),
    entryId: row.entry_id === null ? null : toPublicId('ledgerEntry', row.entry_id)
  }
}

function toSettlement (row: SettlementRow): Settlement {
  return { ...figuresOf(row), unmatched: row.unmatched, createdAt: row.created_at.toISOString() }
}

function toSummary (row: SettlementRow) {
  return { ...figuresOf(row), unmatchedCount: row.unmatched.length, createdAt: row.created_at.toISOString() }
}

export interface SettlementUpload {
  channel: SettlementChannel
  file: Buffer
  maxLines: number
}

/** The payout of this file: booked now (`created`), or as it was when its payout id came before. */
export async function uploadSettlement (
  deps: { db: Database }, actor: Actor, upload: SettlementUpload
): Promise<{ settlement: Settlement, created: boolean }> {
  const lines = readPayoutFile(upload.file, upload.maxLines)
  const { payoutId, payoutDate } = lines[0] as NonNullable<typeof lines[0]>
  const fileSha256 = createHash('sha256').update(upload.file).digest('hex')
  return await deps.db.transaction().execute(async (trx) => {
    await lockChannelSettlements(trx, upload.channel)
    const known = await findSettlementOfPayout(trx, upload.channel, payoutId)
    if (known !== undefined) return { settlement: toSettlement(known), created: false }

    const payments = new Map((await paymentsOfReferences(trx, upload.channel, lines.map((l) => l.reference)))
      .map((p) => [p.reference, p]))
    const settledBefore = await settledAmong(trx, [...payments.values()].map((p) => p.id))
    const seen = new Set<string>()
    const matched: Array<{ paymentId: string, line: number, amount: bigint, fee: bigint }> = []
    const unmatched: Array<UnmatchedLine & { paymentId: string | null }> = []
    for (const line of lines) {
      const payment = payments.get(line.reference)
      let reason: UnmatchedReason | null = null
      if (payment === undefined) reason = 'unknown_payment'
      else if (settledBefore.has(payment.id) || seen.has(payment.id)) reason = 'already_settled'
      else if (payment.status !== 'succeeded') reason = 'not_succeeded'
      else if (payment.amount !== line.amount) reason = 'amount_mismatch'
      if (payment !== undefined) seen.add(payment.id)
      if (reason === null) {
        matched.push({ paymentId: (payment as { id: string }).id, line: line.line, amount: line.amount, fee: line.fee })
      } else {
        // a reference that matched nothing is kept only if it cannot be a card number
        const reference = payment === undefined && containsCardNumber(line.reference) ? WITHHELD : line.reference
        unmatched.push({ line: line.line, reference, reason, paymentId: payment?.id ?? null })
      }
    }
    const gross = matched.reduce((sum, m) => sum + m.amount, 0n)
    const fees = matched.reduce((sum, m) => sum + m.fee, 0n)
    const id = uuidv7()
    const settlementId = toPublicId('settlement', id)

    // payments first, then the ledger's accounts: the order of every posting (payment, debt, accounts)
    const marked = await markPaymentsSettled(trx, matched.map((m) => ({ id: m.paymentId, settlementId })), new Date())
    if (marked !== matched.length) throw new Error('a matched payment changed while its payout was booked')
    for (const line of [...unmatched].sort((a, b) => ((a.paymentId ?? '') < (b.paymentId ?? '') ? -1 : 1))) {
      if (line.paymentId === null) continue
      await flagPayoutDisagreement(trx, line.paymentId, `settlement_${line.reason as Exclude<UnmatchedReason, 'unknown_payment'>}`, {
        settlementId, payoutId, line: line.line
      })
    }
    const entryId = await settlePayout(trx, { channel: upload.channel, gross, fee: fees, settlementId: id })
    const row = await insertSettlement(trx, {
      id,
      channel: upload.channel,
      payout_id: payoutId,
      payout_date: payoutDate,
      file_sha256: fileSha256,
      lines: lines.length,
      matched: matched.length,
      gross,
      fees,
      net: gross - fees,
      unmatched: JSON.stringify(unmatched.map(({ line, reference, reason }) => ({ line, reference, reason }))),
      entry_id: entryId,
      created_by_key_id: actor.keyId
    })
    await insertPaymentSettlements(trx, matched.map((m) => ({
      payment_id: m.paymentId, settlement_id: id, line: m.line, amount: m.amount, fee: m.fee
    })))
    await recordAudit(trx, actor, {
      action: 'settlement.booked',
      entityType: 'settlement',
      entityId: settlementId,
      details: {
        channel: row.channel,
        payoutId,
        payoutDate,
        lines: row.lines,
        matched: row.matched,
        unmatched: unmatched.length,
        gross: gross.toString(),
        fees: fees.toString(),
        net: (gross - fees).toString()
      }
    })
    return { settlement: toSettlement(row), created: true }
  })
}

export async function getSettlement (db: Database, publicId: string): Promise<Settlement> {
  const id = fromPublicId('settlement', publicId)
  const row = id === null ? undefined : await findSettlement(db, id)
  if (row === undefined) throw new DomainError('settlement_not_found', 'No settlement with this id')
  return toSettlement(row)
}

export async function listSettlementsPage (
  db: Database, query: { channel?: SettlementChannel, limit?: number, startingAfter?: string }
) {
  const limit = query.limit ?? 20
  const rows = await listSettlements(db, {
    channel: query.channel,
    limit,
    startingAfter: query.startingAfter === undefined ? null : fromPublicId('settlement', query.startingAfter)
  })
  return toPage(rows, limit, (shown) => shown.map(toSummary))
}
