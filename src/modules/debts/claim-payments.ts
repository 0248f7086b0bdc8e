// What a change of a debt's claim (an import, an operator's recall) does to the debt's payments. Payments do it
// (payments/claims.ts, `claimPayments`): they rank above debts, so whoever calls debts in from above gives it here
// (app.ts to the routes, jobs/tasks.ts to the import's job; docs/architecture.md, "Layers").
import type { RawBuilder } from 'kysely'
import type { Trx } from '../../db/database.js'

export interface ClaimPayments {
  /** Locks every payment of these debts (id order): taken before the debts, as settlement does. */
  lockPaymentsOfDebts: (trx: Trx, debtIds: string[]) => Promise<void>
  /** The same, for the debts a query of debts' own tables selects (`select d.id …`), in one statement. */
  lockPaymentsOfSelectedDebts: (trx: Trx, debtIds: RawBuilder<unknown>) => Promise<void>
  /** A lowered claim left money beyond it on these payments: an operator looks at them. */
  flagOverpaid: (trx: Trx, paymentIds: string[], details: Record<string, unknown>) => Promise<void>
}
