// The partner API (docs/architecture.md, partners, events and webhooks): a creditor's own debts and payments,
// nothing else. Another creditor's payment answers the very 404 of an
// unknown one, so ids tell a partner nothing about other creditors.
import type { Database } from '../../db/database.js'
import type { PiiCipher } from '../../lib/crypto.js'
import { fromPublicId } from '../../lib/ids.js'
import { normalizeContractNumber } from '../../lib/names.js'
import { initialsOf } from '../../lib/initials.js'
import { amountsOfDebts } from '../ledger/service.js'
import { listCreditorDebts, toPartnerDebt } from '../debts/service.js'
import { findCreditorPayment, listCreditorPayments, paymentNotFound, toPartnerPayment, type PartnerPaymentRow } from '../payments/service.js'
import type { PartnerDebt } from '../debts/schemas.js'
import type { PartnerPayment } from '../payments/schemas.js'
import type { DebtRow } from '../debts/tables.js'
import type { PaymentStatus } from '../payments/tables.js'
import { toPage } from '../../lib/page.js'

interface Deps { db: Database, pii: PiiCipher }

function view (deps: Deps, row: PartnerPaymentRow): PartnerPayment {
  return toPartnerPayment(row, row, initialsOf(deps.pii, row.payer_name_encrypted))
}

export async function listPartnerPayments (
  deps: Deps,
  creditors: string[],
  query: { status?: PaymentStatus, from?: string, to?: string, limit?: number, startingAfter?: string }
) {
  const limit = query.limit ?? 20
  const rows = await listCreditorPayments(deps.db, creditors, {
    status: query.status,
    from: query.from === undefined ? undefined : new Date(query.from),
    to: query.to === undefined ? undefined : new Date(query.to),
    limit,
    startingAfter: query.startingAfter === undefined ? null : fromPublicId('payment', query.startingAfter)
  })
  return toPage(rows, limit, (shown) => shown.map((row) => view(deps, row)))
}

export async function getPartnerPayment (deps: Deps, creditors: string[], publicId: string): Promise<PartnerPayment> {
  const id = fromPublicId('payment', publicId)
  const row = id === null ? undefined : await findCreditorPayment(deps.db, creditors, id)
  if (row === undefined) throw paymentNotFound()
  return view(deps, row)
}

export async function listPartnerDebts (deps: Deps, creditors: string[], query: { status?: DebtRow['status'], contractNumber?: string, limit?: number, startingAfter?: string }) {
  const limit = query.limit ?? 20
  const rows = await listCreditorDebts(deps.db, creditors, {
    status: query.status,
    contractNumberNormalized: query.contractNumber === undefined
      ? undefined
      : normalizeContractNumber(query.contractNumber),
    limit,
    startingAfter: query.startingAfter === undefined ? null : fromPublicId('debt', query.startingAfter)
  })
  return await toPage(rows, limit, async (shown): Promise<PartnerDebt[]> => {
    const amounts = await amountsOfDebts(deps.db, shown.map((r) => r.id))
    return shown.map((row) => toPartnerDebt(
      row, amounts.get(row.id) ?? { claim: 0n, collected: 0n }, initialsOf(deps.pii, row.debtor_name_encrypted)
    ))
  })
}
