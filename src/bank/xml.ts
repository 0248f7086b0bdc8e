/**
 * The bank's XML answers are flat: `<response><pg_status>ok</pg_status>...`.
 * A small tokenizer instead of a dependency: no DTD, no entities beyond the
 * five predefined and numeric references, so no external entity can ever be
 * fetched (a DOCTYPE is refused outright).
 */
import { BankProtocolError } from './errors.js'
export { BankProtocolError }

const ROOT = 'response'
const NAME = /^[A-Za-z_][\w.-]*$/
// chars XML 1.0 cannot carry at all, even escaped (controls, lone surrogates, U+FFFE/F)
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u
// \r as a reference: a conforming parser would otherwise fold \r\n into \n
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\'': '&apos;', '\r': '&#13;' }
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: '\'' }

function escapeXml (value: string): string {
  return value.replace(/[&<>"'\r]/g, (char) => ESCAPES[char] as string)
}

export function buildXmlResponse (fields: Record<string, string>): string {
  const elements = Object.entries(fields).map(([name, value]) => {
    if (!NAME.test(name)) throw new RangeError(`not an XML element name: ${JSON.stringify(name)}`)
    if (NOT_XML_CHAR.test(value)) throw new RangeError(`${name} holds a character XML cannot carry`)
    return `<${name}>${escapeXml(value)}</${name}>`
  })
  return `<?xml version="1.0" encoding="utf-8"?><${ROOT}>${elements.join('')}</${ROOT}>`
}

// a '&' that starts none of these is malformed: decoding it "leniently" could
// make us read a different value than the bank signed
const REFERENCE = /&(?:(amp|lt|gt|quot|apos)|#x([\da-fA-F]{1,6})|#(\d{1,7}));|&/g

function unescapeXml (text: string): string {
  return text.replace(REFERENCE, (reference, named?: string, hex?: string, decimal?: string) => {
    if (named !== undefined) return ENTITIES[named] as string
    const codePoint = hex !== undefined ? parseInt(hex, 16) : decimal !== undefined ? Number(decimal) : Number.NaN
    if (codePoint <= 0x10ffff) return String.fromCodePoint(codePoint)
    throw new BankProtocolError(`bad entity reference ${JSON.stringify(reference)} in bank XML`)
  })
}

// one token per match, tried at the current offset only (sticky):
// 1 comment or processing instruction (the xml declaration), 2 CDATA,
// 3 end tag, 4+5 start tag (attributes ignored) and self-closing mark, 6 text
const TOKEN = /(<!--[\s\S]*?-->|<\?[\s\S]*?\?>)|<!\[CDATA\[([\s\S]*?)\]\]>|<\/([A-Za-z_][\w.:-]*)\s*>|<([A-Za-z_][\w.:-]*)(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*(\/?)>|([^<]+)/y

/**
 * Flat bank answer -> its first-level fields, values unescaped and trimmed.
 * A field with child elements (pg_refunds) keeps its raw inner XML.
 */
export function parseXmlResponse (xml: string): Record<string, string> {
  const fields = new Map<string, string>()
  const open: string[] = []
  let rootSeen = false
  let field = { name: '', innerStart: 0, text: '', nested: false }
  for (let offset = xml.startsWith('\uFEFF') ? 1 : 0; offset < xml.length;) {
    TOKEN.lastIndex = offset
    const token = TOKEN.exec(xml)
    if (token === null) throw new BankProtocolError(`malformed bank XML at offset ${offset}`)
    const tokenStart = offset
    offset = TOKEN.lastIndex
    const [, skipped, cdata, endName, startName, selfClosing, rawText] = token
    if (skipped !== undefined) continue
    if (startName !== undefined) {
      if (open.length === 0 && (rootSeen || startName !== ROOT)) {
        throw new BankProtocolError(`bank XML root must be a single <${ROOT}>, got <${startName}>`)
      }
      rootSeen = true
      if (open.length === 1) field = { name: startName, innerStart: offset, text: '', nested: false }
      if (open.length >= 2) field.nested = true
      if (selfClosing === '') open.push(startName)
      else if (open.length === 1) save(fields, field.name, '')
      continue
    }
    if (endName !== undefined) {
      if (open.pop() !== endName) throw new BankProtocolError(`unexpected </${endName}> in bank XML`)
      if (open.length === 1) {
        save(fields, field.name, field.nested ? xml.slice(field.innerStart, tokenStart) : field.text)
      }
      continue
    }
    const text = cdata ?? unescapeXml(rawText as string)
    if (open.length >= 2) field.text += text
    else if (text.trim() !== '') throw new BankProtocolError('text outside the fields of bank XML')
  }
  if (!rootSeen) throw new BankProtocolError(`bank XML without a <${ROOT}> root`)
  if (open.length > 0) throw new BankProtocolError(`bank XML ends inside <${open.join('><')}>`)
  return Object.fromEntries(fields)
}

function save (fields: Map<string, string>, name: string, value: string): void {
  // a repeated field would make the signature ambiguous: refuse it
  if (fields.has(name)) throw new BankProtocolError(`<${name}> twice in bank XML`)
  fields.set(name, value.trim())
}
