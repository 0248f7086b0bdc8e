// The api-keys module's tables, as its migrations leave them; composed into the one DB in src/db/types.ts.
import type { ColumnType, Selectable } from 'kysely'
import type { Timestamp } from '../../db/columns.js'

/** Issued through the API or `npm run api-key`, or ensured from the ADMIN_API_KEY variable at start. */
export type KeyOrigin = 'issued' | 'admin_api_key'

export interface ApiKeysTable {
  id: string
  name: string
  prefix: string
  key_hash: string
  scopes: string[]
  /** A partner key's creditors (migration 0018); empty for every other key. */
  creditors: ColumnType<string[], string[] | undefined, string[]>
  /** `admin_api_key`: the key ADMIN_API_KEY ensures, one record per value it was given (migration 0027). */
  origin: ColumnType<KeyOrigin, KeyOrigin | undefined, never>
  created_at: Timestamp
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
  last_used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
  /** Past it the key is answered as an unknown one (migration 0039); null: no expiry. */
  expires_at: ColumnType<Date | null, Date | string | null | undefined, never>
  /** Addresses and CIDRs (canonical, `10.0.0.0/8`) the key may be used from (migration 0039); empty: any. */
  allowed_ips: ColumnType<string[], string[] | undefined, never>
}

export interface ApiKeysTables {
  api_keys: ApiKeysTable
}

export type ApiKeyRow = Selectable<ApiKeysTable>
