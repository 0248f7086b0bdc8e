// What an erasure leaves in place of a person's data (offer cl. 16): the marker lives in lib, beside the tombstone.
export { ERASED } from '../../lib/erasure.js'
