import t from 'tap'
import fc from 'fast-check'
import { clientKey, expandIPv6, formatAddressRange, inAddressRanges, parseAddressRange, type AddressRange } from '../../src/lib/ip.js'

t.test('an IPv4 client is its address', async (t) => {
  t.equal(clientKey('203.0.113.7'), '203.0.113.7')
  t.equal(clientKey('10.0.0.1'), '10.0.0.1')
})

t.test('an IPv4-mapped IPv6 address is the IPv4 client it maps', async (t) => {
  t.equal(clientKey('::ffff:203.0.113.7'), '203.0.113.7')
  t.equal(clientKey('::FFFF:cb00:7107'), '203.0.113.7', 'hex form, any case')
  t.equal(clientKey('0:0:0:0:0:ffff:203.0.113.7'), '203.0.113.7')
})

t.test('an IPv6 client is its /64, however the address is written', async (t) => {
  t.equal(clientKey('2001:db8:1:2::5'), '2001:db8:1:2::/64')
  t.equal(clientKey('2001:0DB8:0001:0002:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64')
  t.equal(clientKey('2001:db8:1:2:a:b:c:d'), '2001:db8:1:2::/64')
  t.equal(clientKey('2001:db8:1:3::5'), '2001:db8:1:3::/64', 'the next /64 is another client')
  t.equal(clientKey('::1'), '0:0:0:0::/64')
  t.equal(clientKey('fe80::1%eth0'), 'fe80:0:0:0::/64', 'a zone id is ours, not the client\'s')
  t.equal(clientKey('2001:db8::'), '2001:db8:0:0::/64')
  t.equal(clientKey('64:ff9b::192.0.2.33'), '64:ff9b:0:0::/64', 'NAT64 is IPv6 as far as we can tell')
})

t.test('what is no address is passed through', async (t) => {
  t.equal(clientKey(''), '')
  t.equal(clientKey('not-an-ip'), 'not-an-ip')
})

t.test('any two addresses of one /64 share a key; different /64s never do', async () => {
  const hextet = fc.integer({ min: 0, max: 0xffff })
  const prefix = fc.array(hextet, { minLength: 4, maxLength: 4 }).filter((p) => p.some((h) => h !== 0))
  const suffix = fc.array(hextet, { minLength: 4, maxLength: 4 })
  const write = (groups: number[]) => groups.map((h) => h.toString(16)).join(':')
  fc.assert(fc.property(prefix, suffix, suffix, (p, a, b) =>
    clientKey(write([...p, ...a])) === clientKey(write([...p, ...b]))), { seed: 42, numRuns: 500 })
  fc.assert(fc.property(prefix, prefix, suffix, (p, q, a) =>
    (p.join() === q.join()) === (clientKey(write([...p, ...a])) === clientKey(write([...q, ...a])))
  ), { seed: 42, numRuns: 500 })
  fc.assert(fc.property(fc.array(hextet, { minLength: 8, maxLength: 8 }), (groups) =>
    expandIPv6(write(groups)).join() === groups.join()), { seed: 42, numRuns: 500 })
})

t.test('an allowlist holds addresses and CIDRs, an IPv4-mapped client judged as its IPv4 address', async (t) => {
  const ranges = ['203.0.113.7', '198.51.100.0/24', '2001:db8::/32', '::ffff:192.0.2.1']
    .map((entry) => parseAddressRange(entry) as AddressRange)
  t.same(ranges.map(formatAddressRange), ['203.0.113.7/32', '198.51.100.0/24', '2001:db8::/32', '192.0.2.1/32'])
  for (const inside of ['203.0.113.7', '198.51.100.255', '::ffff:198.51.100.1', '2001:db8:ffff::1', '192.0.2.1', '2001:db8::1%eth0']) {
    t.ok(inAddressRanges(ranges, inside), `${inside} is in`)
  }
  for (const outside of ['203.0.113.8', '198.51.101.0', '2001:db9::1', '::ffff:203.0.113.8', '127.0.0.1', '', 'x', '::203.0.113.7']) {
    t.notOk(inAddressRanges(ranges, outside), `${JSON.stringify(outside)} is out`)
  }
  for (const bad of ['', '1.2.3', '1.2.3.4/33', '::/129', '1.2.3.4/x', '1.2.3.4/24/1', 'localhost']) {
    t.equal(parseAddressRange(bad), null, `${JSON.stringify(bad)} is no range`)
  }
})
