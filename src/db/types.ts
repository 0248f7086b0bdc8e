// The one DB type: every module's tables, each declared beside its module (modules/X/tables.ts) and composed here.
import type { AcceptancesTables } from '../modules/acceptances/tables.js'
import type { ApiKeysTables } from '../modules/api-keys/tables.js'
import type { AuditTables } from '../modules/audit/tables.js'
import type { CalendarTables } from '../modules/calendar/tables.js'
import type { ChannelsTables } from '../modules/channels/tables.js'
import type { CreditorsTables } from '../modules/creditors/tables.js'
import type { DebtsTables } from '../modules/debts/tables.js'
import type { EventsTables } from '../modules/events/tables.js'
import type { LedgerTables } from '../modules/ledger/tables.js'
import type { NotificationsTables } from '../modules/notifications/tables.js'
import type { OffersTables } from '../modules/offers/tables.js'
import type { PaymentLinksTables } from '../modules/payment-links/tables.js'
import type { PaymentsTables } from '../modules/payments/tables.js'
import type { PrivacyTables } from '../modules/privacy/tables.js'
import type { RefundsTables } from '../modules/refunds/tables.js'
import type { RemittancesTables } from '../modules/remittances/tables.js'
import type { SettlementsTables } from '../modules/settlements/tables.js'
import type { IdempotencyTables } from '../http/idempotency-tables.js'
import type { SandboxBankTables } from '../bank/sandbox/types.js'
import type { SandboxKaspiTables } from '../bank/kaspi-sandbox/types.js'

/**
 * The sandbox bank's tables are part of it: migration 0003 creates them in every database, where in live mode they
 * stay empty (nothing mounts the sandbox, and an erasure's delete there finds nothing). One forward-only migration
 * history for every mode is simpler to reason about than tables that exist in some databases only. So is the Kaspi
 * sandbox's (migration 0032), empty unless KASPI_MODE=sandbox.
 */
export interface DB extends
  AcceptancesTables, ApiKeysTables, AuditTables, CalendarTables, ChannelsTables, CreditorsTables, DebtsTables,
  EventsTables,
  LedgerTables, NotificationsTables, OffersTables, PaymentLinksTables, PaymentsTables, PrivacyTables, RefundsTables,
  RemittancesTables, SettlementsTables, IdempotencyTables, SandboxBankTables, SandboxKaspiTables {}
