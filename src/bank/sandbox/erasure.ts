// What an erasure of a person's data (modules/privacy) asks of the sandbox bank: forget the return URLs of their
// orders. In live mode the sandbox tables are empty (migration 0003 creates them everywhere) and this changes nothing.
export { eraseOrderRecords } from './repository.js'
