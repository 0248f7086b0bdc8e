// The idempotency keys' table (migration 0002); composed into the one DB in src/db/types.ts.
import type { Generated } from 'kysely'

export interface IdempotencyKeysTable {
  principal: string
  key: string
  request_hash: string
  status: 'in_flight' | 'completed'
  response_status: number | null
  response_body: string | null
  response_content_type: string | null
  /** The public id of what the answer created: an erasure deletes the person's own answers by it. */
  resource_id: string | null
  locked_at: Date
  created_at: Generated<Date>
  expires_at: Date
}
export interface IdempotencyTables { idempotency_keys: IdempotencyKeysTable }
