// What other modules read of an acceptance's row: the payer's name (encrypted), for the initials a payment's partner
// view shows. Only the repository behind it, so payments' views read it without depending on the acceptances'
// service (which depends on debts, which calls payments/claims.ts).
export { payerNamesOf } from './repository.js'
