// The client a per-IP limit counts. An IPv4 address is one client. An IPv6
// client gets a whole /64 from its provider (RFC 6177) and can pick any of
// its 2^64 addresses per request, so the /64 is counted, not the address.
// An IPv4-mapped IPv6 address (`::ffff:203.0.113.7`) is its IPv4 address.
import { isIPv4, isIPv6 } from 'node:net'

export function clientKey (address: string): string {
  if (isIPv4(address)) return address
  const bare = address.replace(/%.*$/, '') // a zone id (`fe80::1%eth0`) names our interface, not the client
  if (!isIPv6(bare)) return address
  const hextets = expandIPv6(bare)
  if (hextets.slice(0, 5).every((h) => h === 0) && hextets[5] === 0xffff) {
    const [high, low] = [hextets[6] as number, hextets[7] as number]
    return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`
  }
  return `${hextets.slice(0, 4).map((h) => h.toString(16)).join(':')}::/64`
}

/** Eight 16-bit groups of a valid IPv6 address, `::` and a dotted IPv4 tail expanded. */
export function expandIPv6 (address: string): number[] {
  let text = address.toLowerCase()
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number]
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined]
  const left = head === '' ? [] : head.split(':')
  const right = tail === undefined || tail === '' ? [] : tail.split(':')
  const zeros = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0')
  return [...left, ...zeros, ...right].map((h) => Number.parseInt(h, 16))
}
