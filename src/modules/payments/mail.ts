// The payer's receipt (docs/architecture.md, notifications): composed here, where the payment is settled, from the
// rows settlement holds; the notifications module only keeps the outbox, the templates and the delivery.
import type { Trx } from '../../db/database.js'
import { toPublicId } from '../../lib/ids.js'
import { payerEmailOf } from '../acceptances/service.js'
import { queueMail } from '../notifications/service.js'
import { cardEnding, formatAlmatyTime, formatTenge } from '../notifications/templates.js'
import type { PaymentRow } from './tables.js'

/**
 * After a success is settled: the receipt to the payer (amount, contract, creditor, date, bank id, requisites), in the
 * language the payer read the offer in.
 */
export async function queuePaymentReceipt (
  trx: Trx, payment: PaymentRow, debt: { contract_number: string, creditor: string } | undefined
): Promise<void> {
  // a Kaspi payment has no payer with us: Kaspi's app gives its own receipt
  if (payment.acceptance_id === null) return
  const to = await payerEmailOf(trx, payment.acceptance_id)
  if (to === undefined) throw new Error(`payment ${payment.id} has no acceptance`)
  await queueMail(trx, {
    template: 'payment-receipt',
    to,
    language: to.language,
    data: {
      paymentId: toPublicId('payment', payment.id),
      amount: formatTenge(to.language, payment.amount),
      contractNumber: debt?.contract_number ?? '—',
      creditor: debt?.creditor ?? '—',
      paidAt: formatAlmatyTime(payment.paid_at ?? new Date(), to.language),
      bankPaymentId: payment.bank_payment_id ?? '—',
      card: cardEnding(payment.card_mask)
    }
  })
}
