// The debt events: debt.closed (its outstanding amount reached zero: a payment, a lowered claim), seen by its
// creditor, and debt_import.completed, the agency's own fact (a portfolio may hold many creditors), the admin's only.
import type { Trx } from '../../db/database.js'
import { publishEvent } from '../events/service.js'
import { amountsOfDebts } from '../ledger/service.js'
import { findImport, listCreditorDebts } from './repository.js'
import { toDebtImport, toPartnerDebt } from './views.js'

export async function publishDebtClosed (trx: Trx, debtId: string): Promise<void> {
  const [row] = await listCreditorDebts(trx, null, { ids: [debtId], limit: 1, startingAfter: null })
  if (row === undefined) throw new Error(`event of an unknown debt ${debtId}`)
  const amounts = (await amountsOfDebts(trx, [debtId])).get(debtId) ?? { claim: 0n, collected: 0n }
  // the debtor is named by initials in both views; filled in when read
  const debt = toPartnerDebt(row, amounts, null)
  await publishEvent(trx, 'debt.closed', { creditor: row.creditor, creditorId: row.creditor_id, data: debt, partnerData: debt })
}

export async function publishImportCompleted (trx: Trx, importId: string): Promise<void> {
  const row = await findImport(trx, importId)
  if (row === undefined) throw new Error(`event of an unknown import ${importId}`)
  const report = toDebtImport(row)
  await publishEvent(trx, 'debt_import.completed', { creditor: null, creditorId: null, data: { ...report, errors: report.errors.slice(0, 100) }, partnerData: null })
}
