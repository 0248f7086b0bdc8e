import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { DomainError } from '../../lib/errors.js'
import { AUTH_PROBLEMS, problemResponses } from '../../http/schemas.js'
import { fromPublicId } from '../../lib/ids.js'
import { debtLedger, trialBalance } from './service.js'
import { DebtLedgerParams, DebtLedgerSchema, LedgerEntrySchema, TrialBalanceSchema } from './schemas.js'

const ledgerRoutes: FastifyPluginAsyncTypebox = async (app) => {
  for (const schema of [LedgerEntrySchema, DebtLedgerSchema, TrialBalanceSchema]) app.addSchema(schema)
  const authProblems = AUTH_PROBLEMS

  app.get('/admin/debts/:id/ledger', {
    preHandler: app.requireScopes('operator'),
    schema: {
      operationId: 'getAdminDebtLedger',
      tags: ['Admin: ledger'],
      summary: 'A debt\'s journal entries',
      description: 'The claim, what was collected net of refunds, the outstanding amount (the receivable\'s balance) and every entry that touched the debt, ' +
        'amounts signed from the receivable\'s side in integer tiyn; they sum to `outstanding`. Scopes: operator, admin.',
      params: DebtLedgerParams,
      response: { 200: Type.Ref(DebtLedgerSchema), ...problemResponses({ 400: ['validation_failed'], ...authProblems, 404: ['debt_not_found'] }) }
    }
  }, async (request) => {
    const id = fromPublicId('debt', request.params.id)
    const ledger = id === null ? undefined : await debtLedger(app.db, id)
    if (ledger === undefined) throw new DomainError('debt_not_found', 'No debt with this id')
    return ledger
  })

  app.get('/admin/ledger/trial-balance', {
    preHandler: app.requireScopes('operator'),
    schema: {
      operationId: 'getAdminTrialBalance',
      tags: ['Admin: ledger'],
      summary: 'Trial balance of the ledger',
      description: 'Balances per account kind (debit-positive), their total (0 when the books balance) and whether every materialised balance equals the sum of its lines. ' +
        'Checked daily by the worker, which logs at error level on any difference. Scopes: operator, admin.',
      response: { 200: Type.Ref(TrialBalanceSchema), ...problemResponses({ ...authProblems }) }
    }
  }, async () => await trialBalance(app.db))
}

export default ledgerRoutes
