// Column shapes shared by the modules' table types (modules/X/tables.ts): what a select returns, what an insert and
// an update accept.
import type { ColumnType } from 'kysely'

/** A timestamp with a database default: read as a Date, written as a Date or ISO text, or left to the default. */
export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
export type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>
/** A column with a database default: optional on insert. */
export type Defaulted<T> = ColumnType<T, T | undefined, T>
/** jsonb written as JSON text. */
export type Json<T = Record<string, unknown>> = ColumnType<T, string, string>
