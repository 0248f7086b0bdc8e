// One POST of a webhook, bounded in time and size, that never throws: every
// outcome (an answer, a refusal by the SSRF guard, a timeout, a reset) is a
// value. The SSRF guard runs on the address the connection really goes to,
// at delivery time: the name is resolved by our own lookup, every resolved
// address must be public, and the socket connects to the address checked,
// so a DNS answer that changes between check and connect cannot slip by.
// Redirects are not followed (a 3xx is a failure).
import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { isIP, type LookupFunction } from 'node:net'
import { isPublicAddress } from '../../lib/public-address.js'

export interface SendResult {
  statusCode: number | null
  error: string | null
  durationMs: number
  retryAfterSeconds: number | null
}

export class DestinationRefused extends Error {}

const MAX_RESPONSE_BYTES = 64 * 1024

export function guardedLookup (allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { all: true, family: options.family ?? 0 }, (err, addresses: LookupAddress[]) => {
      if (err !== null) return callback(err, '', 0)
      const refused = allowPrivate ? undefined : addresses.find((a) => !isPublicAddress(a.address))
      if (refused !== undefined || addresses.length === 0) {
        return callback(new DestinationRefused(`${hostname} resolves to a non-public address`), '', 0)
      }
      if (options.all === true) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses)
      const first = addresses[0] as LookupAddress
      callback(null, first.address, first.family)
    })
  }
}

/** The destination as registered may still be refused now: https only and public, unless allowed. */
export function destinationProblem (url: URL, allowPrivate: boolean): string | null {
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) return allowPrivate ? 'the URL must be http or https' : 'the URL must be https'
  if (url.username !== '' || url.password !== '') return 'the URL must not carry credentials'
  if (allowPrivate) return null
  const host = url.hostname.replace(/^\[|\]$/g, '')
  if (isIP(host) !== 0) return isPublicAddress(host) ? null : 'the URL points to a non-public address'
  if (host === 'localhost' || host.endsWith('.localhost') || !host.includes('.')) return 'the URL must name a public host'
  return null
}

function retryAfter (header: string | string[] | undefined): number | null {
  const value = Array.isArray(header) ? header[0] : header
  if (value === undefined) return null
  if (/^\d{1,9}$/.test(value.trim())) return Number(value.trim())
  const at = Date.parse(value)
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000))
}

export async function postWebhook (
  target: string, headers: Record<string, string>, body: string, options: { timeoutMs: number, allowPrivate: boolean }
): Promise<SendResult> {
  const started = performance.now()
  const elapsed = (): number => Math.round(performance.now() - started)
  let url: URL
  try {
    url = new URL(target)
  } catch {
    return { statusCode: null, error: 'the URL cannot be parsed', durationMs: 0, retryAfterSeconds: null }
  }
  const problem = destinationProblem(url, options.allowPrivate)
  if (problem !== null) return { statusCode: null, error: `refused: ${problem}`, durationMs: 0, retryAfterSeconds: null }
  return await new Promise<SendResult>((resolve) => {
    let settled = false
    const finish = (result: Omit<SendResult, 'durationMs'>): void => {
      if (settled) return
      settled = true
      resolve({ ...result, durationMs: elapsed() })
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest
    const req = send(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'explus-webhooks/1' },
      lookup: guardedLookup(options.allowPrivate),
      signal: AbortSignal.timeout(options.timeoutMs)
    }, (res) => {
      let received = 0
      res.on('data', (chunk: Buffer) => {
        received += chunk.length
        if (received > MAX_RESPONSE_BYTES) res.destroy()
      })
      const done = (): void => { finish({ statusCode: res.statusCode ?? null, error: null, retryAfterSeconds: retryAfter(res.headers['retry-after']) }) }
      res.on('end', done)
      res.on('close', done)
      res.on('error', done)
    })
    req.on('error', (err: Error & { code?: string }) => {
      const reason = err instanceof DestinationRefused
        ? `refused: ${err.message}`
        : err.name === 'TimeoutError' || err.name === 'AbortError' ? `timed out after ${options.timeoutMs} ms` : `${err.code ?? 'error'}: ${err.message}`
      finish({ statusCode: null, error: reason.slice(0, 500), retryAfterSeconds: null })
    })
    req.end(body)
  })
}
