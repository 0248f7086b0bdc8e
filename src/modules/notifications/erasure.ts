// The mail outbox's part of a consent withdrawal (offer cl. 16): privacy's erasure calls it, in its transaction,
// instead of writing the outbox itself (docs/architecture.md, "Erasure through owners").
export { eraseMail } from './repository.js'
