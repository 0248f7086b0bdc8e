/**
 * The codes the sandbox answers with. Where the bank's own code is known it
 * is used: 9998 (request signature, documented), 101 (payment lifetime
 * exceeded, as the live bank sends it in result callbacks). The rest come
 * from the Platron/PayBox code list this protocol inherited; the bank does
 * not publish which codes it sends for a card decline, so those are ours.
 */
export interface Code { code: string, description: string }

/** pg_error_code of the scripts' error answers. */
export const SCRIPT_ERRORS = {
  // answered unsigned: the bank cannot sign for a merchant it could not authenticate
  badSignature: { code: '9998', description: 'Некорректная подпись запроса' },
  unknownMerchant: { code: '9998', description: 'Неверный номер магазина' },
  badParameter: { code: '200', description: 'Не хватает или некорректный параметр запроса' },
  notFound: { code: '340', description: 'Транзакция не найдена' },
  refundImpossible: { code: '490', description: 'Отмена платежа невозможна' },
  // the inherited list's 'internal error, may not repeat on a retry': what the error fault answers
  internal: { code: '1000', description: 'Внутренняя ошибка сервиса' }
} satisfies Record<string, Code>

/** pg_failure_code of a failed payment (result callback, get_status3.php). */
export const PAYMENT_FAILURES = {
  expired: { code: '101', description: 'Время жизни платежа превышено' },
  customerDeclined: { code: '400', description: 'Платеж отменен покупателем' },
  cardDeclined: { code: '470', description: 'Операция отклонена банком-эмитентом карты' },
  merchantRefused: { code: '600', description: 'Магазин отказал в проведении платежа' },
  merchantUnavailable: { code: '600', description: 'Магазин не подтвердил возможность платежа' }
} satisfies Record<string, Code>
