// The acceptances' part of a consent withdrawal (offer cl. 16): privacy's erasure calls these, in its transaction,
// instead of writing the acceptances itself (docs/architecture.md, "Erasure through owners").
export { acceptancesOf, eraseAcceptances, withdrawConsent } from './repository.js'
