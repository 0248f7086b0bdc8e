// The api-keys module's tables, as its migrations leave them; composed into the one DB in src/db/types.ts.
import type { ColumnType, Selectable } from 'kysely'
import type { Timestamp } from '../../db/columns.js'

export interface ApiKeysTable {
  id: string
  name: string
  prefix: string
  key_hash: string
  scopes: string[]
  /** A partner key's creditors (migration 0018); empty for every other key. */
  creditors: ColumnType<string[], string[] | undefined, string[]>
  created_at: Timestamp
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
  last_used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
}

export interface ApiKeysTables {
  api_keys: ApiKeysTable
}

export type ApiKeyRow = Selectable<ApiKeysTable>
