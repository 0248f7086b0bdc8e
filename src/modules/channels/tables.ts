// The channels module's tables, as its migrations leave them; composed into the one DB in src/db/types.ts.
import type { Generated, Selectable } from 'kysely'
import type { Timestamp, Nullable } from '../../db/columns.js'

export type RegistryChannel = 'kaspi'

/** A channel's daily registry, compared with our payments once (migration 0031): one per channel, day and content. */
export interface ChannelRegistriesTable {
  id: string
  channel: RegistryChannel
  /** The Asia/Almaty day it covers, YYYY-MM-DD. */
  date: string
  /** SHA-256 (hex) of the file as received. */
  file_sha256: string
  lines: number
  matched: number
  missing_here: number
  missing_there: number
  amount_mismatches: number
  created_by_key_id: string | null
  created_at: Timestamp
}

export type RegistryDifferenceKind = 'missing_here' | 'missing_there' | 'amount_mismatch'

/** One difference a registry showed, kept as it was found. */
export interface ChannelRegistryDifferencesTable {
  id: Generated<bigint>
  registry_id: string
  kind: RegistryDifferenceKind
  txn_id: string
  account: Nullable<string>
  payment_id: Nullable<string>
  /** Tiyn: our payment's amount. */
  ours: Nullable<bigint>
  /** Tiyn: the channel's sum. */
  theirs: Nullable<bigint>
  /** The payment was set aside for review because of it (or already was). */
  flagged: boolean
}

export interface ChannelsTables {
  channel_registries: ChannelRegistriesTable
  channel_registry_differences: ChannelRegistryDifferencesTable
}

export type ChannelRegistryRow = Selectable<ChannelRegistriesTable>

export type RegistryDifferenceRow = Selectable<ChannelRegistryDifferencesTable>
