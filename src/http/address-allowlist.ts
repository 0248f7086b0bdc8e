// Routes that only one outside system calls (Kaspi's channel) answer only its addresses: the client's address as
// `request.ip` gives it (after TRUST_PROXY: never an X-Forwarded-For nobody vouches for) must be in the allowlist,
// else 403 `forbidden` before anything else runs.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { inAddressRanges, parseAddressRange, type AddressRange } from '../lib/ip.js'
import { Forbidden } from './errors.js'

/** An onRequest hook refusing every client outside `allowed` (addresses and CIDRs, as the configuration holds them). */
export function allowAddresses (
  allowed: readonly string[], caller: string
): (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void {
  const ranges = allowed.map((entry) => parseAddressRange(entry)).filter((r): r is AddressRange => r !== null)
  return (request, _reply, done) => {
    done(inAddressRanges(ranges, request.ip)
      ? undefined
      : new Forbidden('forbidden', `Only ${caller} may call this; this address is not in its allowlist`))
  }
}
