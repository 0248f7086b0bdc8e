// The refunds' part of a consent withdrawal (offer cl. 16): privacy's erasure calls these, in its transaction,
// instead of writing refund requests and refunds itself (docs/architecture.md, "Erasure through owners").
export { eraseRefundReasons, eraseReturnReasons } from './repository.js'
