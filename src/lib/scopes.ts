// The scopes of an API key: `admin` may do what `operator` may; `partner` is bound to creditors. The keys module
// issues them and the HTTP edge checks them, so they live below both.
export const SCOPES = ['admin', 'operator', 'partner'] as const
export type Scope = typeof SCOPES[number]
