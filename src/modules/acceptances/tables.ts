// The acceptances module's tables, as its migrations leave them; composed into the one DB in src/db/types.ts.
import type { ColumnType, Selectable } from 'kysely'
import type { Timestamp, Nullable } from '../../db/columns.js'

export interface AcceptancesTable {
  id: string
  offer_id: string
  offer_version: number
  offer_sha256: string
  /** migration 0037: the language of the offer text read (kk, ru, en); the payer's emails use it */
  offer_language: ColumnType<string, string | undefined, string>
  debt_id: string
  payer_full_name_encrypted: string
  payer_email_encrypted: string
  payer_email_index: string
  payer_phone_encrypted: string
  ip_encrypted: string
  ip_index: string
  user_agent: string | null
  personal_data_consent: boolean
  accepted_at: Timestamp
  consent_expires_at: Timestamp
  payable_until: Timestamp
  consent_withdrawn_at: Nullable<Date>
  /** The payment link the acceptance was made through (migration 0030): its payment pays what the link fixes. */
  payment_link_id: Nullable<string>
}

export interface AcceptancesTables {
  acceptances: AcceptancesTable
}

export type AcceptanceRow = Selectable<AcceptancesTable>
