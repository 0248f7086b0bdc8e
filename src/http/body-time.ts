// Every request body has a time limit (DESIGN 16): a client that trickles its body cannot hold a request, its
// connection and what the handler holds for it (a database connection, an import's slot) for as long as it likes.
//
// The clock runs only while the service waits for the client: from the moment the body's reader asks for more bytes
// until they arrive. The time the reader spends elsewhere (an import waiting for the database's COPY, which stops
// reading and so stops the client by TCP's own backpressure) is never the client's.
// - A body that is parsed (JSON, a form) has HTTP_BODY_TIMEOUT_MS in all: it is small, and a total is what bounds it.
// - A streamed upload (the portfolio import, `config.uploadPace`) has no total, so a 1 GiB file sent steadily gets
//   through: it may keep the service waiting at most `idleMs` at a time, and each byte earns back 1/minBytesPerSecond
//   of a second. Silence is cut after `idleMs`; a trickle (a byte every 2 s is never silent for long) runs out of time
//   a little later; an upload at or above the rate never does (Apache's mod_reqtimeout MinRate, curl's speed limit).
// Out of time, the body fails with 408 `request_timeout` and the connection is closed after the answer; Node's own
// requestTimeout is a total for headers and body alike and would cut the large upload, so it is not used.
import { Readable } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import { AppError } from './errors.js'
import { hasBody, takesBody } from './media-types.js'
import { asArray } from './route-hooks.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route streams its body (the portfolio import): a pace instead of HTTP_BODY_TIMEOUT_MS's total. */
    uploadPace?: UploadPace
  }
}

export interface UploadPace {
  /** The longest the upload may keep the service waiting, what it earned included. */
  idleMs: number
  /** Each byte earns back 1/this of a second of waiting. */
  minBytesPerSecond: number
}

interface Clock {
  /** Waiting the body may cost, at first and at most. */
  allowanceMs: number
  /** Waiting each byte that arrives earns back (0: a total). */
  msPerByte: number
}

export function requestTimeout (): AppError {
  return new AppError(408, 'request_timeout', 'Request timeout', 'The request body did not arrive in time')
}

/**
 * The request body as its reader sees it, with the clock above. Out of time, it fails with 408. Given up, whether cut
 * or dropped by its reader (an import over its size limit), it leaves the request's own stream alive, read and its
 * bytes dropped, so the answer reaches the client: a socket closed on unread bytes resets the connection, answer and
 * all (Node likewise detaches the socket from a server request a reader destroys). The answer closes the connection.
 */
export class TimedBody extends Readable {
  readonly #source: Readable
  readonly #clock: Clock
  #allowanceMs: number
  #waitingSince = 0
  #timer: NodeJS.Timeout | null = null
  #ended = false

  constructor (source: Readable, clock: Clock) {
    super()
    this.#source = source
    this.#clock = clock
    this.#allowanceMs = clock.allowanceMs
    // A body may fail with nobody reading it (its client gone while an import is refused before reading): the
    // reader, if any, gets the error from its own listener; this one only keeps an unread failure from ending the
    // process.
    this.on('error', () => {})
    // paused before the listener is added, or it would start the flow: nothing is read until the reader asks
    source.pause()
    source.on('data', this.#onData)
    source.on('end', this.#onEnd)
    source.on('error', this.#onError)
    source.on('close', this.#onClose)
  }

  override _read (): void {
    this.#wait()
    this.#source.resume()
  }

  override _destroy (error: Error | null, callback: (error?: Error | null) => void): void {
    this.stop()
    this.#source.resume()
    callback(error)
  }

  /** Stops the clock and lets go of the request's stream: nobody waits for the body any more (it was answered). */
  stop (): void {
    this.#stopWaiting()
    this.#source.off('data', this.#onData)
    this.#source.off('end', this.#onEnd)
    this.#source.off('error', this.#onError)
    this.#source.off('close', this.#onClose)
  }

  #wait (): void {
    if (this.#timer !== null || this.#ended) return
    this.#waitingSince = performance.now()
    this.#timer = setTimeout(this.#expire, Math.max(0, this.#allowanceMs))
  }

  #stopWaiting (): void {
    if (this.#timer === null) return
    clearTimeout(this.#timer)
    this.#timer = null
    this.#allowanceMs -= performance.now() - this.#waitingSince
  }

  readonly #onData = (chunk: Buffer): void => {
    this.#stopWaiting()
    this.#allowanceMs = Math.min(this.#clock.allowanceMs, this.#allowanceMs + chunk.length * this.#clock.msPerByte)
    // still wanted: the clock goes on; a full buffer means the reader is busy, and its time is not the client's
    if (this.push(chunk)) this.#wait()
    else this.#source.pause()
  }

  readonly #onEnd = (): void => {
    this.#ended = true
    this.#stopWaiting()
    this.push(null)
  }

  readonly #onError = (error: Error): void => { this.destroy(error) }

  // a client gone before the end: the reader must not wait for ever
  readonly #onClose = (): void => { if (!this.#ended) this.destroy(new Error('The request was aborted')) }

  readonly #expire = (): void => {
    this.#timer = null
    this.destroy(requestTimeout())
  }
}

type PreParsing = (
  request: FastifyRequest, reply: FastifyReply, payload: Readable,
  done: (error: Error | null, payload?: Readable) => void
) => void

function timeBody (clock: Clock): PreParsing {
  return function timedBody (request, reply, payload, done) {
    if (!hasBody(request)) {
      done(null, payload)
      return
    }
    const body = new TimedBody(payload, clock)
    // Answered, nobody waits for the body any more. The connection lost before the answer, the reader is told: the
    // response's close comes before the request's own abort reaches the body, and must not silence it.
    reply.raw.once('close', () => {
      if (reply.raw.writableFinished) body.stop()
      else body.destroy(new Error('The connection was lost'))
    })
    done(null, body)
  }
}

/**
 * Installs the clock as the first preParsing hook of every route that takes a body: HTTP_BODY_TIMEOUT_MS in all, or
 * the route's `uploadPace`. Call before any route is added.
 */
export function limitBodyTime (app: FastifyInstance, bodyTimeoutMs: number): void {
  const total = timeBody({ allowanceMs: bodyTimeoutMs, msPerByte: 0 })
  app.addHook('onRoute', (route: RouteOptions) => {
    if (!takesBody(route.method)) return
    const pace = route.config?.uploadPace
    const hook = pace === undefined
      ? total
      : timeBody({ allowanceMs: pace.idleMs, msPerByte: 1000 / pace.minBytesPerSecond })
    route.preParsing = [hook, ...asArray(route.preParsing)] as RouteOptions['preParsing']
  })
}
