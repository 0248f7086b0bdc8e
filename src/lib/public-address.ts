// Webhook destinations must be public (docs/architecture.md, partners, events and webhooks): a partner must not make
// us call our own network (SSRF). An address is public when ipaddr.js, which keeps the IANA IPv4 and IPv6
// special-purpose registries, calls it plain `unicast`. An IPv6 address that carries an IPv4 one (mapped
// ::ffff:a.b.c.d, translated ::ffff:0:a.b.c.d, NAT64's well-known 64:ff9b::/96, 6to4) is judged by the IPv4 address
// it carries; NAT64's local-use prefix (64:ff9b:1::/48, RFC 8215) is the operator's own network, never public. A
// hand-kept list once let `[64:ff9b:1::a00:1]` and `[::ffff:0:7f00:1]` (translated loopback) pass as public.
import { isIP } from 'node:net'
import ipaddr from 'ipaddr.js'

/** IPv6 ranges whose last 32 bits (or, for 6to4, bits 16-47) are an IPv4 address, judged as that address. */
const CARRIES_IPV4 = new Set(['ipv4Mapped', 'rfc6145', '6to4'])
const WELL_KNOWN_NAT64 = ipaddr.IPv6.parse('64:ff9b::')

function isPublicIpv4 (address: ipaddr.IPv4): boolean {
  return address.range() === 'unicast'
}

function carriedIpv4 (address: ipaddr.IPv6): ipaddr.IPv4 {
  const bytes = address.toByteArray()
  // 2002:AABB:CCDD::/48 carries AA.BB.CC.DD; the others carry it in their last four bytes
  const at = address.range() === '6to4' ? 2 : 12
  return new ipaddr.IPv4(bytes.slice(at, at + 4))
}

export function isPublicAddress (text: string): boolean {
  const bare = text.replace(/%.*$/, '')
  // the address as a resolver gives it: dotted quads or IPv6 text, not ipaddr.js's legacy forms (`1.2.3`)
  if (isIP(bare) === 0) return false
  const address = ipaddr.parse(bare)
  if (address.kind() === 'ipv4') return isPublicIpv4(address as ipaddr.IPv4)
  const v6 = address as ipaddr.IPv6
  const range = v6.range()
  if (range === 'unicast') return true
  if (CARRIES_IPV4.has(range)) return isPublicIpv4(carriedIpv4(v6))
  // only the well-known /96 translates to the public IPv4 internet
  if (range === 'rfc6052' && v6.match(WELL_KNOWN_NAT64, 96)) return isPublicIpv4(carriedIpv4(v6))
  return false
}
