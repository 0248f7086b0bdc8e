import t from 'tap'
import fc from 'fast-check'
import { BankProtocolError, buildXmlResponse, parseXmlResponse } from '../../src/bank/xml.js'

const initPaymentAnswer = `<?xml version="1.0" encoding="utf-8"?>
<response>
  <pg_salt>a1b2</pg_salt>
  <pg_status>ok</pg_status>
  <pg_payment_id>123</pg_payment_id>
  <pg_redirect_url>https://customer.freedompay.kz/pay.html?customer=abc&amp;lang=ru</pg_redirect_url>
  <pg_redirect_url_type>need data</pg_redirect_url_type>
  <pg_sig>0123456789abcdef0123456789abcdef</pg_sig>
</response>
`

t.test('the init_payment.php answer reads as flat fields', async (t) => {
  t.same(parseXmlResponse(initPaymentAnswer), {
    pg_salt: 'a1b2',
    pg_status: 'ok',
    pg_payment_id: '123',
    pg_redirect_url: 'https://customer.freedompay.kz/pay.html?customer=abc&lang=ru',
    pg_redirect_url_type: 'need data',
    pg_sig: '0123456789abcdef0123456789abcdef'
  })
})

t.test('our reply to a callback is a signed flat <response>', async (t) => {
  t.equal(buildXmlResponse({ pg_status: 'ok', pg_description: '', pg_salt: 's', pg_sig: 'x' }),
    '<?xml version="1.0" encoding="utf-8"?><response><pg_status>ok</pg_status><pg_description></pg_description><pg_salt>s</pg_salt><pg_sig>x</pg_sig></response>')
  t.equal(buildXmlResponse({}), '<?xml version="1.0" encoding="utf-8"?><response></response>')
})

t.test('special characters and Cyrillic survive the round trip', async (t) => {
  const fields = {
    pg_description: 'Оплата долга по договору №42 — Қазақстан',
    pg_failure_description: 'a < b && c > d, "quoted" and \'single\'',
    pg_user_contact_email: 'ivan+test@example.kz',
    pg_lines: 'one\r\ntwo\tthree',
    pg_emoji: '💳 ok'
  }
  const xml = buildXmlResponse(fields)
  t.match(xml, '&lt; b &amp;&amp; c &gt; d, &quot;quoted&quot; and &apos;single&apos;')
  t.match(xml, 'one&#13;\ntwo')
  t.same(parseXmlResponse(xml), fields)
})

t.test('the builder refuses what XML cannot carry', async (t) => {
  t.throws(() => buildXmlResponse({ 'pg_status><evil': 'x' }), RangeError, 'an element name that would inject markup')
  t.throws(() => buildXmlResponse({ '1abc': 'x' }), RangeError)
  t.throws(() => buildXmlResponse({ pg_status: 'nul\u0000' }), RangeError, 'a control character')
  t.throws(() => buildXmlResponse({ pg_status: 'half \uD800 surrogate' }), RangeError)
})

const fieldName = fc.stringMatching(/^[a-z_]{1,20}$/)
const xmlChar = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u
const fieldValue = fc.oneof(
  fc.string(),
  fc.string({ unit: fc.constantFrom('&', '<', '>', '"', '\'', ';', ' ', '\n', 'ж', 'Қ', '&amp;', ']]>', '<![CDATA[') }),
  fc.string({ unit: 'grapheme' }).filter((value) => xmlChar.test(value))
)

t.test('any flat map of fields round trips (values trimmed)', async () => {
  fc.assert(fc.property(fc.dictionary(fieldName, fieldValue, { maxKeys: 15 }), (fields) => {
    const parsed = parseXmlResponse(buildXmlResponse(fields))
    const expected = Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, value.trim()]))
    return JSON.stringify(Object.entries(parsed).sort()) === JSON.stringify(Object.entries(expected).sort())
  }))
})

t.test('a nested field comes back as its raw inner XML', async (t) => {
  const xml = `<response><pg_status>ok</pg_status><pg_refunds>
    <refund><pg_refund_id>1</pg_refund_id><pg_amount>5.00</pg_amount></refund>
    <refund><pg_refund_id>2</pg_refund_id><pg_amount/></refund>
  </pg_refunds><pg_sig>abc</pg_sig></response>`
  t.same(parseXmlResponse(xml), {
    pg_status: 'ok',
    pg_refunds: '<refund><pg_refund_id>1</pg_refund_id><pg_amount>5.00</pg_amount></refund>\n    <refund><pg_refund_id>2</pg_refund_id><pg_amount/></refund>',
    pg_sig: 'abc'
  })
})

t.test('the XML the bank may legally send is read the way the bank meant it', async (t) => {
  const xml = '\uFEFF<?xml version="1.0"?>\n<!-- answer --><response xmlns:x="urn:x" id=\'1\'>' +
    '<pg_status a="1" >ok</pg_status ><pg_empty/><pg_blank></pg_blank>' +
    '<pg_description><![CDATA[a <b> & c]]> and &#1078;&#x416;</pg_description>' +
    '<pg_note>x<!-- ignored -->y</pg_note></response>\n<!-- trailing -->\n'
  t.same(parseXmlResponse(xml), {
    pg_status: 'ok',
    pg_empty: '',
    pg_blank: '',
    pg_description: 'a <b> & c and жЖ',
    pg_note: 'xy'
  })
  t.same(parseXmlResponse('<response/>'), {})
  const proto = parseXmlResponse('<response><__proto__>x</__proto__><constructor>y</constructor></response>')
  t.equal(Object.getPrototypeOf(proto), Object.prototype, 'no prototype pollution')
  t.equal(proto.__proto__, 'x')
  t.equal(proto.constructor, 'y')
})

const refused: Array<[string, string]> = [
  ['', 'an empty body'],
  ['<?xml version="1.0"?>', 'a declaration only'],
  ['Bad Gateway', 'plain text'],
  ['<html><body>502</body></html>', 'an HTML error page'],
  ['<result><pg_status>ok</pg_status></result>', 'another root'],
  ['<response></response><response></response>', 'two roots'],
  ['<response/><pg_status>ok</pg_status>', 'an element after the root'],
  ['<!DOCTYPE response [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><response><pg_status>&xxe;</pg_status></response>', 'a DTD (XXE)'],
  ['<response><pg_status>&xxe;</pg_status></response>', 'an unknown entity'],
  ['<response><pg_status>a & b</pg_status></response>', 'a bare ampersand'],
  ['<response><pg_status>&amp</pg_status></response>', 'an unterminated entity'],
  ['<response><pg_status>&#x110000;</pg_status></response>', 'a code point beyond Unicode'],
  ['<response><pg_status>ok</pg_sig></response>', 'mismatched tags'],
  ['<response><pg_status>ok</pg_status>', 'an unclosed root'],
  ['<response><pg_status>ok</pg_status></response></response>', 'a stray end tag'],
  ['<response>stray<pg_status>ok</pg_status></response>', 'text beside the fields'],
  ['<response><pg_status>1</pg_status><pg_status>2</pg_status></response>', 'a repeated field'],
  ['<response><pg_a/><pg_a/></response>', 'a repeated empty field'],
  ['<response><pg_status>ok</pg_status><</response>', 'a lone <'],
  ['<response><pg_status>ok<!-- unclosed</pg_status></response>', 'an unclosed comment']
]

t.test('anything but a well-formed <response> is a protocol error', async (t) => {
  for (const [xml, why] of refused) {
    t.throws(() => parseXmlResponse(xml), { name: 'BankProtocolError', code: 'bank_protocol_error' }, why)
  }
  const error = new BankProtocolError('x')
  t.ok(error instanceof Error)
  t.equal(error.code, 'bank_protocol_error')
})
