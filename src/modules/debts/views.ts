// How a debt import is shown (its report), and a debt as a partner and the debt events see it.
import { toPublicId } from '../../lib/ids.js'
import { moneyOf } from '../../lib/money.js'
import type { DebtAmounts } from '../ledger/service.js'
import type { DebtImport, PartnerDebt } from './schemas.js'
import type { DebtImportRow, DebtRow } from './tables.js'

export function toDebtImport (row: DebtImportRow): DebtImport {
  return {
    id: toPublicId('debtImport', row.id),
    status: row.status,
    rowsTotal: row.rows_total,
    rowsImported: row.rows_imported,
    rowsUnchanged: row.rows_unchanged,
    rowsAdjusted: row.rows_adjusted,
    rowsRejected: row.rows_rejected,
    errors: row.errors,
    creditorsCreated: row.creditors_created.map((c) => ({ id: toPublicId('creditor', c.id), name: c.name })),
    failureReason: row.failure_reason,
    createdAt: row.created_at.toISOString(),
    startedAt: row.started_at?.toISOString() ?? null,
    finishedAt: row.finished_at?.toISOString() ?? null
  }
}

export function toPartnerDebt (row: DebtRow, amounts: DebtAmounts, debtorName: string | null): PartnerDebt {
  return {
    id: toPublicId('debt', row.id),
    paymentCode: row.payment_code,
    contractNumber: row.contract_number,
    creditor: row.creditor,
    creditorId: toPublicId('creditor', row.creditor_id),
    debtorName: debtorName ?? '',
    status: row.status,
    claimAmount: moneyOf(amounts.claim),
    collectedAmount: moneyOf(amounts.collected),
    outstanding: moneyOf(row.outstanding),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString()
  }
}
