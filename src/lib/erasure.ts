// What an erasure leaves in place of a person's data (offer cl. 16): the same marker in every table and view, and
// the tombstone each owner of personal data writes over it when privacy's erasure calls it.
export const ERASED = '[erased]'

/** What replaces personal data: one ciphertext of '[erased]' (columns stay NOT NULL), an index nothing hashes to. */
export interface Tombstone { encrypted: string, emptyJson: string, index: string }
