// How a debt import is shown: its report.
import { toPublicId } from '../../lib/ids.js'
import type { DebtImport } from './schemas.js'
import type { DebtImportRow } from './tables.js'

export function toDebtImport (row: DebtImportRow): DebtImport {
  return {
    id: toPublicId('debtImport', row.id),
    status: row.status,
    rowsTotal: row.rows_total,
    rowsImported: row.rows_imported,
    rowsUnchanged: row.rows_unchanged,
    rowsAdjusted: row.rows_adjusted,
    rowsRejected: row.rows_rejected,
    errors: row.errors,
    failureReason: row.failure_reason,
    createdAt: row.created_at.toISOString(),
    startedAt: row.started_at?.toISOString() ?? null,
    finishedAt: row.finished_at?.toISOString() ?? null
  }
}
