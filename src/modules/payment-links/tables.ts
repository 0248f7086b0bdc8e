// The payment-links module's tables, as its migrations leave them; composed into the one DB in src/db/types.ts.
import type { ColumnType, Selectable } from 'kysely'
import type { Nullable, Timestamp } from '../../db/columns.js'

/** A link to one debt (migration 0030): the token itself is never stored, only its SHA-256. */
export interface PaymentLinksTable {
  id: string
  debt_id: string
  token_hash: string
  /** The amount the link fixes (tiyn); null: the payer chooses, up to what is outstanding. */
  amount: bigint | null
  expires_at: ColumnType<Date, Date | string, never>
  revoked_at: Nullable<Date>
  /** The key that made it (an operator's, an admin's or a partner's). */
  created_by_key_id: string | null
  created_at: Timestamp
}

export interface PaymentLinksTables {
  payment_links: PaymentLinksTable
}

export type PaymentLinkRow = Selectable<PaymentLinksTable>
