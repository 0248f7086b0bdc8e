// The events' part of a consent withdrawal (offer cl. 16): privacy's erasure calls it, in its transaction, instead
// of writing the events itself (docs/architecture.md, "Erasure through owners").
export { eraseRefundRequestEvents } from './repository.js'
