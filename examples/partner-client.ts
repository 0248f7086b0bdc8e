/**
 * A creditor's system reading its events through a client generated from openapi/openapi.json (openapi-typescript;
 * `npm run client:check` typechecks this file): `GET /v1/partner/events` answers a union of one type per event type,
 * told apart by `type`, so a `switch` on it gives `data.object` its own type (a PartnerPayment for `payment.…`, a
 * PartnerRefund for `refund.…`) with no cast (DESIGN 23).
 */
import type { components, paths } from './generated/api.js'
import { bodyOf } from './debt-import-client.js'

type ListEvents = paths['/v1/partner/events']['get']
export type PartnerEvent = components['schemas']['PartnerEvent']
type EventPage = ListEvents['responses'][200]['content']['application/json']
type Problem = ListEvents['responses'][401]['content']['application/problem+json']

/** What the creditor books from an event: money in or out on a contract. */
export interface Booking {
  eventId: string
  kind: 'payment' | 'refund'
  objectId: string
  amount: number
}

export class PartnerRefused extends Error {
  constructor (readonly status: number, readonly problem: Problem) {
    super(`${status} ${problem.code}: ${problem.detail}`)
  }
}

export function partnerClient (baseUrl: string, apiKey: string, fetchImpl: typeof fetch = fetch) {
  const authorization = `Bearer ${apiKey}`
  return {
    /** The newest events of the key's creditors (one page). */
    async events (type?: PartnerEvent['type']): Promise<PartnerEvent[]> {
      const url = new URL('/v1/partner/events', baseUrl)
      url.searchParams.set('limit', '100')
      if (type !== undefined) url.searchParams.set('type', type)
      const response = await fetchImpl(url, { headers: { authorization } })
      if (response.status !== 200) throw new PartnerRefused(response.status, await bodyOf<Problem>(response))
      return (await bodyOf<EventPage>(response)).data
    }
  }
}

/** The bookings of a page of events: exhaustive over the event types, each object read with its own type. */
export function bookingsOf (events: PartnerEvent[]): Booking[] {
  const bookings: Booking[] = []
  for (const event of events) {
    switch (event.type) {
      case 'payment.succeeded':
        bookings.push({ eventId: event.id, kind: 'payment', objectId: event.data.object.id, amount: event.data.object.amount })
        break
      case 'refund.succeeded':
        bookings.push({ eventId: event.id, kind: 'refund', objectId: event.data.object.id, amount: event.data.object.amount })
        break
      case 'payment.failed':
      case 'payment.expired':
      case 'payment.returned':
      case 'payment.needs_review':
      case 'refund.failed':
      case 'refund_request.submitted':
      case 'refund_request.decided':
      case 'debt.closed':
      case 'debt_import.completed':
        break
      default: {
        const unhandled: never = event
        return unhandled
      }
    }
  }
  return bookings
}
