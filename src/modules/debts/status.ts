// A debt's status follows its outstanding amount: `closed` at zero, `active`
// again above zero. A debt the creditor recalled stays `recalled`.
import { setDebtStatus } from './repository.js'
import { publishDebtClosed } from './events.js'
import type { Trx } from '../../db/database.js'
import type { DebtRow } from './tables.js'

export function statusFor (status: DebtRow['status'], outstanding: bigint): DebtRow['status'] {
  if (status === 'recalled') return status
  return outstanding === 0n ? 'closed' : 'active'
}

export async function followOutstanding (trx: Trx, debt: Pick<DebtRow, 'id' | 'status'>, outstanding: bigint): Promise<DebtRow['status']> {
  const next = statusFor(debt.status, outstanding)
  if (next === debt.status) return next
  await setDebtStatus(trx, debt.id, next)
  if (next === 'closed') await publishDebtClosed(trx, debt.id)
  return next
}
