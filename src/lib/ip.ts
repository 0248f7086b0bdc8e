// The client a per-IP limit counts. An IPv4 address is one client. An IPv6
// client gets a whole /64 from its provider (RFC 6177) and can pick any of
// its 2^64 addresses per request, so the /64 is counted, not the address.
// An IPv4-mapped IPv6 address (`::ffff:203.0.113.7`) is its IPv4 address.
//
// An allowlist (KASPI_ALLOWED_IPS) is addresses and CIDRs; an address is in it when one of them holds it, an
// IPv4-mapped IPv6 address judged as the IPv4 address it carries (a server listening on `::` sees IPv4 clients so).
import { isIP, isIPv4, isIPv6 } from 'node:net'
import ipaddr from 'ipaddr.js'

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

/** An address and its prefix length: `10.0.0.0/8`, or a single address as `/32` (`/128`). */
export type AddressRange = [ipaddr.IPv4 | ipaddr.IPv6, number]

/**
 * A valid address (as `isIP` says) in ipaddr.js's form, from its eight groups for IPv6: ipaddr.js itself reads any
 * dotted tail as IPv4-mapped (`::203.0.113.7` would be `::ffff:203.0.113.7`).
 */
function parsed (address: string): ipaddr.IPv4 | ipaddr.IPv6 {
  return isIPv4(address) ? ipaddr.IPv4.parse(address) : new ipaddr.IPv6(expandIPv6(address))
}

/** An IPv4-mapped IPv6 address as its IPv4 address; any other as it is. */
function unmapped (address: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()
    ? (address as ipaddr.IPv6).toIPv4Address()
    : address
}

/**
 * One entry of an allowlist: an address (`203.0.113.7`, `2001:db8::1`) or a CIDR (`203.0.113.0/24`,
 * `2001:db8::/32`), written as resolvers and proxies write them (never ipaddr.js's legacy forms such as `1.2.3`);
 * null when it is not one.
 */
export function parseAddressRange (entry: string): AddressRange | null {
  const [address, bits, extra] = entry.trim().split('/')
  if (address === undefined || extra !== undefined || isIP(address) === 0) return null
  const range = parsed(address)
  if (bits === undefined) {
    const single = unmapped(range)
    return [single, single.kind() === 'ipv4' ? 32 : 128]
  }
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > (range.kind() === 'ipv4' ? 32 : 128)) return null
  return [range, Number(bits)]
}

/** An allowlist's entries in the canonical text of each (`203.0.113.0/24`), for the log and the docs. */
export function formatAddressRange ([address, bits]: AddressRange): string {
  return `${address.toString()}/${bits}`
}

/** Whether a client's address (as `request.ip` gives it) is in one of the ranges. */
export function inAddressRanges (ranges: readonly AddressRange[], address: string): boolean {
  const bare = address.replace(/%.*$/, '')
  if (isIP(bare) === 0) return false
  const client = unmapped(parsed(bare))
  return ranges.some(([range, bits]) => client.kind() === range.kind() && client.match(range, bits))
}
