// The offers module's tables, as its migrations leave them; composed into the one DB in src/db/types.ts.
import type { Selectable } from 'kysely'
import type { Timestamp } from '../../db/columns.js'

export interface OffersTable {
  id: string
  language: string
  version: number
  title: string
  text: string
  sha256: string
  published_at: Timestamp
  published_by_key_id: string | null
}

export interface OffersTables {
  offers: OffersTable
}

export type OfferRow = Selectable<OffersTable>
