/**
 * The two helpers our callback handlers (check, result) need from the bank
 * side of the protocol. The script name is the last path segment of OUR
 * callback URL ('check', 'result'): the bank signs with it and so must we.
 */
import { verifyParams } from './signature.js'
import { signedXml } from './xml-signature.js'

export type CallbackReplyStatus = 'ok' | 'rejected' | 'error'

/** True when the callback's pg_sig is the bank's (constant-time compare). */
export function verifyCallback (scriptName: string, params: Record<string, string>, secretKey: string): boolean {
  return verifyParams(scriptName, params, secretKey)
}

/** `<response><pg_status/><pg_description/><pg_salt/><pg_sig/></response>`, signed. */
export function callbackReply (scriptName: string, status: CallbackReplyStatus, description: string, secretKey: string): string {
  return signedXml(scriptName, { pg_status: status, pg_description: description }, secretKey)
}

/**
 * The parameters that describe the person rather than the payment: the
 * payer's contacts and address the bank echoes (pg_user_*), and the
 * cardholder's name and card expiry the live bank may send. We already hold
 * the contacts in the acceptance; the rest we never keep (DESIGN section 7).
 */
export function isPersonalParam (name: string): boolean {
  return name.startsWith('pg_user_') || name === 'pg_card_owner' || name === 'pg_card_exp'
}

/**
 * A callback as we keep it: without the personal parameters, each replaced
 * by a marker so the log still shows it was sent. A callback that arrives
 * after an erasure, or for no known payment, thus never brings personal data
 * back into the database.
 */
export function withoutPersonalParams (params: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).map(([name, value]) => [name, isPersonalParam(name) ? WITHHELD : value]))
}
export const WITHHELD = '[not kept]'
