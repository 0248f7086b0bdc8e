// Who acted: the audit log records it, the HTTP edge and the worker name it, so it lives below both.

/**
 * Who did it: the authenticated key, the request and where it came from (null: not kept, a data subject's address is
 * personal data).
 */
export interface Actor {
  keyId: string | null
  requestId: string
  ip: string | null
}
