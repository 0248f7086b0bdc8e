// debt_payments_http_request_duration_seconds: every request by method, route template and status, printed as
// prom-client prints a Histogram. Observed without prom-client's work per observation (a labels object checked,
// hashed into a string and looked up, its bucket counted under the bound printed as text) and without reading
// `request.routeOptions`, which builds and freezes an object on every read: together about 4% of a lookup's CPU.
// Each route is timed by a hook of its own, added when the route is (onRoute), that knows its template; requests no
// route matched by one hook for the whole app.
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import type { Registry } from 'prom-client'
import { asArray } from '../../http/route-hooks.js'

interface Series {
  labels: { method: string, route: string, status: string }
  counts: number[]
  sum: number
  count: number
}

type Done = () => void
type Recorder = (method: string, status: number, seconds: number) => void

const OURS = Symbol('request duration hook')

export class RequestDurations {
  readonly type = 'histogram'
  readonly aggregator = 'sum'
  /** route template, then method, then status */
  private readonly routes = new Map<string, Map<string, Map<number, Series>>>()
  private readonly unmatched: Recorder

  constructor (readonly name: string, readonly help: string, private readonly buckets: number[]) {
    this.unmatched = this.recorder('unmatched')
  }

  /** Printed with the registry's other figures (its default labels added, as for its own metrics). */
  registerIn (registry: Registry): void {
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0])
  }

  /** The onRoute hook: the route gets its own onResponse hook, after those it has. */
  readonly onRoute = (route: RouteOptions): void => {
    const hooks = asArray(route.onResponse)
    if (hooks.some((hook) => OURS in hook)) return
    const record = this.recorder(route.url)
    const hook = Object.assign((request: FastifyRequest, reply: FastifyReply, done: Done): void => {
      record(request.method, reply.statusCode, reply.elapsedTime / 1000)
      done()
    }, { [OURS]: true })
    route.onResponse = [...hooks, hook]
  }

  /** The app-wide onResponse hook: a request no route matched (a matched one was timed by its route's hook). */
  readonly onUnmatched = (request: FastifyRequest, reply: FastifyReply, done: Done): void => {
    if (request.is404) this.unmatched(request.method, reply.statusCode, reply.elapsedTime / 1000)
    done()
  }

  private recorder (route: string): Recorder {
    let methods = this.routes.get(route)
    if (methods === undefined) {
      methods = new Map()
      this.routes.set(route, methods)
    }
    const byMethod = methods
    const buckets = this.buckets
    return (method, status, seconds) => {
      let statuses = byMethod.get(method)
      if (statuses === undefined) {
        statuses = new Map()
        byMethod.set(method, statuses)
      }
      let series = statuses.get(status)
      if (series === undefined) {
        series = {
          labels: { method, route, status: String(status) },
          counts: new Array<number>(buckets.length + 1).fill(0),
          sum: 0,
          count: 0
        }
        statuses.set(status, series)
      }
      let bucket = 0
      while (bucket < buckets.length && seconds > (buckets[bucket] as number)) bucket++
      series.counts[bucket] = (series.counts[bucket] as number) + 1
      series.sum += seconds
      series.count++
    }
  }

  /**
   * prom-client's metric interface: the series as its Histogram returns them (cumulative buckets, then sum and count).
   */
  get (): {
    name: string
    help: string
    type: string
    aggregator: string
    values: Array<{ labels: Record<string, string | number>, value: number, metricName: string }>
  } {
    const values: Array<{ labels: Record<string, string | number>, value: number, metricName: string }> = []
    for (const methods of this.routes.values()) {
      for (const statuses of methods.values()) {
        for (const series of statuses.values()) {
          let cumulative = 0
          for (const [i, bound] of this.buckets.entries()) {
            cumulative += series.counts[i] as number
            values.push({ labels: { le: bound, ...series.labels }, value: cumulative, metricName: `${this.name}_bucket` })
          }
          values.push({ labels: { le: '+Inf', ...series.labels }, value: series.count, metricName: `${this.name}_bucket` })
          values.push({ labels: series.labels, value: series.sum, metricName: `${this.name}_sum` })
          values.push({ labels: series.labels, value: series.count, metricName: `${this.name}_count` })
        }
      }
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values }
  }

  reset (): void {
    for (const methods of this.routes.values()) methods.clear()
  }
}
