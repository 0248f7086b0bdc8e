// What an erasure leaves in place of a person's data (offer cl. 16): the same marker in every table and view.
export const ERASED = '[erased]'
