// The privacy module's table (migrations 0008 and 0016); composed into the one DB in src/db/types.ts.
import type { ColumnType, Selectable } from 'kysely'
import type { Nullable, Timestamp } from '../../db/columns.js'
import type { PrivacyStatus } from './schemas.js'

export interface ErasedCounts {
  acceptances: number
  callbacks: number
  refundRequests: number
  payments: number
  refunds: number
  emails: number
  bankRecords: number
  idempotencyRecords: number
  privacyRequests: number
}

export interface PrivacyRequestsTable {
  id: string
  email_index: string
  iin_index: string | null
  full_name_encrypted: string
  status: ColumnType<PrivacyStatus, PrivacyStatus | undefined, PrivacyStatus>
  hold_reason: Nullable<string>
  due_at: Nullable<string>
  received_at: Timestamp
  /** migration 0016: the one-time code's HMAC, its expiry and the wrong tries */
  verification_code_hash: Nullable<string>
  verification_expires_at: Nullable<Date>
  verification_attempts: ColumnType<number, number | undefined, number>
  verified_at: Nullable<Date>
  email_encrypted: Nullable<string>
  completed_at: Nullable<Date>
  confirmation_number: Nullable<string>
  erased_counts: ColumnType<ErasedCounts | null, string | null | undefined, string | null>
  /** migration 0037: the language of the request's emails (kk, ru, en) */
  language: ColumnType<string, string | undefined, string>
}

export interface PrivacyTables { privacy_requests: PrivacyRequestsTable }

export type PrivacyRequestRow = Selectable<PrivacyRequestsTable>
