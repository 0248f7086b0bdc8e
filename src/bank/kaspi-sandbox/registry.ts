// Kaspi's registry of a day as the sandbox writes it (DESIGN 17): `txn_id,txn_date,account,sum`, txn_date as
// `YYYYMMDDHHMMSS` in Almaty time, sum tenge with two decimals, the transactions of that Almaty day in time order.
// The sandbox draws digit-only ids and takes digit-only accounts, so no field needs quoting.
import { formatKaspiTime } from '../../lib/kaspi-time.js'
import { formatMinorUnits } from '../../lib/money.js'
import type { KaspiRegistryRow } from './types.js'

export const REGISTRY_HEADER = 'txn_id,txn_date,account,sum'

export function registryCsv (rows: readonly KaspiRegistryRow[]): string {
  const lines = rows.map((row) => `${row.txnId},${formatKaspiTime(row.txnDate)},${row.account},${formatMinorUnits(row.sum)}`)
  return [REGISTRY_HEADER, ...lines].join('\n') + '\n'
}
