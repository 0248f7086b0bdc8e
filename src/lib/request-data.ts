// What a walk over data a request carried may meet, and how far it goes (DESIGN 22). The validator's safety scan,
// the card-data guard and the idempotency hash each walk a request's body, query and parameters; one of them met a
// request stream instead of parsed JSON (a raw-body parser on a plugin that held JSON routes) and followed the
// socket, the server and everything they reach, 64 levels deep, until the process was stopped. So every walk looks
// into parsed data only (arrays and objects of Object's prototype or none, as JSON.parse, the form parser and the
// query-string parser make them), never deeper than MAX_NESTING and never over more than MAX_VALUES values.
// The validator refuses what is past a bound; the other walks stop there and leave the refusal to it.

/** How deep containers may nest in a request's data. No request of this API nests more than a few levels. */
export const MAX_NESTING = 64

/**
 * How many values (containers included) a request's data may hold. A body is at most BODY_LIMIT_BYTES (1 MiB:
 * at most about 500,000 values); no operation of this API takes a tenth of this.
 */
export const MAX_VALUES = 50_000

/**
 * True for an array or an object as a parser makes it: of Object's prototype, of none, or of an empty dictionary's
 * (the query-string and the router's parameters are made by a constructor whose prototype has none); false for a
 * stream, a Buffer, a class instance.
 */
export function isParsedContainer (value: object): boolean {
  if (Array.isArray(value)) return true
  const prototype = Object.getPrototypeOf(value) as object | null
  return prototype === null || prototype === Object.prototype || Object.getPrototypeOf(prototype) === null
}

/** True for a raw request body handed over as a stream (the import's), which no walk may look into. */
export function isStream (value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { pipe?: unknown }).pipe === 'function'
}

/** A countdown of the values one walk may still visit. */
export class ValueBudget {
  private left = MAX_VALUES
  /** Counts one value; false once the walk has visited MAX_VALUES. */
  take (): boolean {
    return this.left-- > 0
  }
}
