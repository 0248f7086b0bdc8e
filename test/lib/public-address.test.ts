import t from 'tap'
import { isPublicAddress } from '../../src/lib/public-address.js'

/**
 * Webhook destinations (strict mode) must be public addresses, by the IANA special-purpose registries as ipaddr.js
 * keeps them; an IPv6 address carrying an IPv4 one is judged by that one.
 */
t.test('public addresses', async (t) => {
  for (const address of ['8.8.8.8', '2606:4700::1111', '64:ff9b::808:808', '::ffff:8.8.8.8', '::ffff:0:808:808', '2002:808:808::1']) {
    t.ok(isPublicAddress(address), address)
  }
})

t.test('everything else, the gaps of the hand-kept list included', async (t) => {
  for (const address of [
    '10.0.0.1', '127.0.0.1', '169.254.169.254', '100.64.0.1', '192.0.2.1', '198.18.0.1', '0.0.0.0', '255.255.255.255', '224.0.0.1',
    '::', '::1', 'fe80::1', 'fe80::1%eth0', 'fc00::1', 'fd12::1', '2001:db8::1', 'ff02::1', '2001::1', '100::1',
    // NAT64 local-use (RFC 8215) is the operator's network whatever IPv4 it carries
    '64:ff9b:1::a00:1', '64:ff9b:1::808:808',
    // IPv4-translated (RFC 6145) loopback, and mapped or well-known-NAT64 private addresses
    '::ffff:0:7f00:1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '64:ff9b::a00:1', '64:ff9b::7f00:1', '2002:a00:1::1',
    // not an address a resolver gives
    'localhost', '1.2.3', '', '::ffff:'
  ]) t.notOk(isPublicAddress(address), address)
})
