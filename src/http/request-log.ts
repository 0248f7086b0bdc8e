// One log line per request, when its response has been sent: method, path
// (never the query string), request id, status and time taken. Fastify's own
// request logging writes two lines, and its first ("incoming request") says
// nothing the second does not; on the hot paths (a lookup, a callback) the
// second line cost as much as the first. Every other line Fastify writes
// (errors, a route not found, a stream failing) stays as it is.
import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify'

export class RequestLog extends LogController {
  private access: FastifyBaseLogger | null = null

  /**
   * The line holds only what the req and res serializers keep (app.ts: no
   * query string, no body, no header), so it is written by a logger that
   * skips the redaction pass, which walks every wildcard path over every key
   * of every line: about 4% of a lookup's time, for a line it can never change.
   */
  attach (root: FastifyBaseLogger): void {
    this.access = root.child({}, { redact: [] })
  }

  override incomingRequest (): void {}

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error !== null && error !== undefined) {
      request.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored')
      return
    }
    (this.access ?? request.log).info({ reqId: request.id, req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed')
  }
}

type Bindings = Parameters<FastifyBaseLogger['child']>[0]
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1]
type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

/**
 * A request's logger (`request.log`), made the first time something logs through it. Fastify makes a pino child
 * for every request, and pino passes its bindings through the redaction pass: about 2% of a lookup's time, for a
 * logger most requests never use (their one line is RequestLog's). The child it makes is the one Fastify would
 * have made: the same bindings (the request id), options and redaction.
 */
export class LazyRequestLogger implements FastifyBaseLogger {
  private made: FastifyBaseLogger | null = null

  constructor (
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions
  ) {}

  private get logger (): FastifyBaseLogger {
    this.made ??= this.parent.child(this.bindings, this.options)
    return this.made
  }

  get level (): string { return this.made?.level ?? this.options?.level ?? this.parent.level }
  set level (level: string) { this.logger.level = level }

  fatal (...args: unknown[]): void { this.write('fatal', args) }
  error (...args: unknown[]): void { this.write('error', args) }
  warn (...args: unknown[]): void { this.write('warn', args) }
  info (...args: unknown[]): void { this.write('info', args) }
  debug (...args: unknown[]): void { this.write('debug', args) }
  trace (...args: unknown[]): void { this.write('trace', args) }
  silent (...args: unknown[]): void { this.write('silent', args) }

  child (bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.logger.child(bindings, options)
  }

  private write (level: Level, args: unknown[]): void {
    (this.logger[level] as (...values: unknown[]) => void).apply(this.logger, args)
  }
}

/** Fastify's childLoggerFactory: every request gets a LazyRequestLogger. */
export function lazyRequestLogger (
  logger: FastifyBaseLogger, bindings: Bindings, options: ChildOptions
): FastifyBaseLogger {
  return new LazyRequestLogger(logger, bindings, options)
}
