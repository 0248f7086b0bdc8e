// What other modules read of a debt's row: its contract and creditor, its debtor's name, a creditor's debts. Only
// the repository behind it, so a module the debts' own service calls (payments/claims.ts) can read these too
// without a cycle; debts/service.ts re-exports them as part of the module's surface.
export { debtFactsOf, debtOfCreditorsSql, debtorNameOf, listCreditorDebts, type DebtFacts } from './repository.js'
