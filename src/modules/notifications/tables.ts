import type { ColumnType, Selectable } from 'kysely'

type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>

export type MailStatus = 'queued' | 'sent' | 'failed'
/** What a template is filled with: every value already formatted for the reader. */
export type MailData = Record<string, string>

/** migrations/0015_mail_outbox.ts */
export interface MailOutboxTable {
  id: string
  template: string
  recipient_encrypted: string
  recipient_index: string
  data: ColumnType<MailData, string, string>
  subject: Nullable<string>
  text_body: Nullable<string>
  html_body: Nullable<string>
  status: ColumnType<MailStatus, MailStatus | undefined, MailStatus>
  attempts: ColumnType<number, number | undefined, number>
  next_attempt_at: Nullable<Date>
  last_error: Nullable<string>
  created_at: Timestamp
  sent_at: Nullable<Date>
  /** migration 0016: the destruction confirmation forgets its recipient once handed over */
  erase_recipient_after_delivery: ColumnType<boolean, boolean | undefined, boolean>
  /** migration 0037: the language the message is written in (kk, ru, en) */
  language: ColumnType<string, string | undefined, string>
}

export type MailRow = Selectable<MailOutboxTable>

export interface NotificationsTables { mail_outbox: MailOutboxTable }
