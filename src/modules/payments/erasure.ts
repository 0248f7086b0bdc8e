// The payments' part of a consent withdrawal (offer cl. 16): privacy's erasure calls these, in its transaction,
// instead of writing the payments, their refusals and the bank's callbacks itself (docs/architecture.md, "Erasure
// through owners").
export { eraseCallbacks, erasePayments, lockPaymentsOf } from './repository.js'
