// Webhook destinations must be public (docs/architecture.md, partners, events and webhooks): a partner must
// not make us call our own network (SSRF). The ranges are the IANA special-
// purpose registries' non-global ones; an IPv6 address that embeds an IPv4
// one (mapped, NAT64, 6to4) is judged by the IPv4 address it carries.
import { BlockList, isIP } from 'node:net'

const BLOCKED = new BlockList()
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4]
] as const) BLOCKED.addSubnet(network, prefix, 'ipv4')
for (const [network, prefix] of [
  ['::', 128], ['::1', 128], ['100::', 64], ['2001::', 23], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8]
] as const) BLOCKED.addSubnet(network, prefix, 'ipv6')

function hextets (address: string): number[] | null {
  const [head = '', tail] = address.toLowerCase().split('::') as [string, string | undefined]
  const parse = (part: string): number[] => part === '' ? [] : part.split(':').flatMap((h) => {
    if (h.includes('.')) {
      const [a = 0, b = 0, c = 0, d = 0] = h.split('.').map(Number)
      return [(a << 8) | b, (c << 8) | d]
    }
    return [parseInt(h, 16)]
  })
  const left = parse(head)
  const right = tail === undefined ? [] : parse(tail)
  const missing = 8 - left.length - right.length
  if (missing < 0 || (tail === undefined && missing !== 0)) return null
  return [...left, ...new Array<number>(missing).fill(0), ...right]
}

/** The IPv4 address an IPv6 one carries (::ffff:a.b.c.d, ::a.b.c.d, 64:ff9b::/96, 2002::/16), if any. */
function embeddedIpv4 (address: string): string | null {
  const h = hextets(address.replace(/%.*$/, ''))
  if (h === null) return null
  const v4 = (hi: number, lo: number): string => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`
  if (h.slice(0, 5).every((x) => x === 0) && (h[5] === 0xffff || h[5] === 0)) return v4(h[6] as number, h[7] as number)
  if (h[0] === 0x64 && h[1] === 0xff9b && h.slice(2, 6).every((x) => x === 0)) return v4(h[6] as number, h[7] as number)
  if (h[0] === 0x2002) return v4(h[1] as number, h[2] as number)
  return null
}

export function isPublicAddress (address: string): boolean {
  const family = isIP(address.replace(/%.*$/, ''))
  if (family === 4) return !BLOCKED.check(address, 'ipv4')
  if (family !== 6) return false
  const bare = address.replace(/%.*$/, '')
  const v4 = embeddedIpv4(bare)
  if (v4 !== null && v4 !== '0.0.0.0' && v4 !== '0.0.0.1') return !BLOCKED.check(v4, 'ipv4')
  return !BLOCKED.check(bare, 'ipv6')
}
