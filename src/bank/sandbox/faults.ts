/**
 * Fault injection (docs/bank-protocol.md), as integrators test against a bank
 * that misbehaves: POST /sandbox/bank/faults arms the next `count` calls of
 * a script. Armed faults live in the database, so every process of a
 * deployment agrees, and each call takes one atomically.
 *
 * - timeout: the script does nothing and never answers
 * - error: a signed pg_status=error (code 1000, internal error)
 * - http_500: HTTP 500, nothing done
 * - apply_then_timeout: the work is done (a refund reaches the card), and
 *   then no answer: the unknown outcome real banks produce
 * - refuse: a signed pg_status=error, code 490 (operation impossible):
 *   the bank's definite no, nothing done
 */
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { consumeFault } from './repository.js'
import { internalErrorAnswer, refusalAnswer, type BankSide } from './scripts.js'
import { FAULT_MODES, FAULT_SCRIPTS, type FaultScript } from './types.js'

export const FaultSpec = Type.Object({
  script: Type.Union(FAULT_SCRIPTS.map((script) => Type.Literal(script))),
  mode: Type.Union(FAULT_MODES.map((mode) => Type.Literal(mode))),
  count: Type.Integer({ minimum: 1, maximum: 1000 })
}, { additionalProperties: false })
export type FaultSpec = Static<typeof FaultSpec>

export const ArmedFaults = Type.Object({
  faults: Type.Array(Type.Object({
    script: FaultSpec.properties.script,
    mode: FaultSpec.properties.mode,
    remaining: Type.Integer()
  }))
})

/** A held request is let go after this long at most, whatever the client does. */
export const MAX_HOLD_MS = 120_000

/**
 * Requests that are never answered. Each is released (its socket destroyed)
 * when the client gives up, after MAX_HOLD_MS, or when the sandbox closes.
 */
export class HeldRequests {
  private readonly releases = new Set<() => void>()

  constructor (private readonly maxHoldMs = MAX_HOLD_MS) {}

  hold (request: FastifyRequest, reply: FastifyReply): FastifyReply {
    void reply.hijack()
    const socket = request.raw.socket
    const release = (): void => {
      clearTimeout(timer)
      this.releases.delete(release)
      socket.destroy()
    }
    const timer = setTimeout(release, this.maxHoldMs)
    timer.unref()
    socket.once('close', release)
    this.releases.add(release)
    return reply
  }

  releaseAll (): void {
    for (const release of [...this.releases]) release()
  }
}

function answerXml (reply: FastifyReply, xml: string): FastifyReply {
  return reply.header('cache-control', 'no-store').type('text/xml; charset=utf-8').send(xml)
}

/** Runs one script call under whatever fault is armed for it. */
export async function runScript (
  side: BankSide, held: HeldRequests, request: FastifyRequest, reply: FastifyReply,
  script: Exclude<FaultScript, 'result_callback'>, work: () => Promise<string>
): Promise<FastifyReply> {
  const fault = await consumeFault(side.db, script)
  if (fault !== null) request.log.warn({ script, fault }, 'sandbox bank: fault injected')
  if (fault === 'timeout') return held.hold(request, reply)
  if (fault === 'http_500') return reply.code(500).header('cache-control', 'no-store').type('text/plain; charset=utf-8').send('Internal Server Error')
  if (fault === 'error') return answerXml(reply, internalErrorAnswer(side, `${script}.php`))
  if (fault === 'refuse') return answerXml(reply, refusalAnswer(side, `${script}.php`))
  const xml = await work()
  if (fault === 'apply_then_timeout') return held.hold(request, reply)
  return answerXml(reply, xml)
}
