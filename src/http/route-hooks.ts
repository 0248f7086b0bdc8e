// A route's hooks as its options hold them (one function, an array, or none), as an array: for the onRoute hooks
// that add a hook of their own to a route (http/idempotency.ts, http/card-guard.ts, metrics/request-durations.ts).
export function asArray<T> (hooks: T | T[] | undefined): T[] {
  return hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks]
}
