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
