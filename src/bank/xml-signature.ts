/**
 * pg_sig over an XML message, both ways.
 *
 * Flat messages sign exactly like form parameters. Nested ones (the real
 * get_status3.php lists refunds in <pg_refund_payments><pg_refund_payment>…)
 * are signed by the bank's PHP library (PG_Signature::makeFlatParamsXML):
 * every element is named `parent + tag + %03d position`, leaves become
 * parameters, and the flat result is signed as usual. For flat messages of
 * pg_* names that order is the plain name order, so one verifier serves the
 * sandbox's flat answers and the bank's nested ones.
 */
import { buildXmlResponse, parseXmlResponse } from './xml.js'
import { randomSalt, signParams, verifyParams } from './signature.js'

/** Signs the fields (adding a fresh pg_salt unless given) and builds `<response>`. */
export function signedXml (scriptName: string, fields: Record<string, string>, secretKey: string): string {
  const salted = { ...fields, pg_salt: fields.pg_salt ?? randomSalt() }
  return buildXmlResponse({ ...salted, pg_sig: signParams(scriptName, salted, secretKey) })
}

interface Element { name: string, children: Element[], innerStart: number, innerEnd: number }

// comments, processing instructions and CDATA are skipped whole so a '<' inside them is never a tag
const MARKUP = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[[\s\S]*?\]\]>|<\/([A-Za-z_][\w.:-]*)\s*>|<([A-Za-z_][\w.:-]*)(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*(\/?)>/g

/** The element tree of a document parseXmlResponse has already accepted as well formed. */
function rootElement (xml: string): Element {
  const root: Element = { name: '', children: [], innerStart: 0, innerEnd: xml.length }
  const open: Element[] = [root]
  for (const match of xml.matchAll(MARKUP)) {
    const [markup, endName, startName, selfClosing] = match
    const parent = open.at(-1) as Element
    if (startName !== undefined) {
      const element: Element = {
        name: startName,
        children: [],
        innerStart: match.index + markup.length,
        innerEnd: match.index + markup.length
      }
      parent.children.push(element)
      if (selfClosing === '') open.push(element)
    } else if (endName !== undefined) {
      parent.innerEnd = match.index
      open.pop()
    }
  }
  return root.children[0] as Element
}

// a leaf's text decoded by the one XML reader we trust (entities, CDATA, trimming)
function leafText (xml: string, element: Element): string {
  return parseXmlResponse(`<response><v>${xml.slice(element.innerStart, element.innerEnd)}</v></response>`).v ?? ''
}

function flatten (xml: string, element: Element, parentName: string, into: Record<string, string>): void {
  element.children.forEach((child, index) => {
    if (child.name === 'pg_sig') return
    const name = `${parentName}${child.name}${String(index + 1).padStart(3, '0')}`
    if (child.children.length > 0) flatten(xml, child, name, into)
    else into[name] ??= leafText(xml, child)
  })
}

/** The parameters the bank's PHP library signs for this XML message. */
export function signedParamsOfXml (xml: string): Record<string, string> {
  parseXmlResponse(xml)
  const params: Record<string, string> = {}
  flatten(xml, rootElement(xml), '', params)
  return params
}

/** Constant-time check of an XML message's pg_sig; false when it is missing. */
export function verifyXmlSignature (scriptName: string, xml: string, secretKey: string): boolean {
  const signature = parseXmlResponse(xml).pg_sig
  if (signature === undefined) return false
  return verifyParams(scriptName, { ...signedParamsOfXml(xml), pg_sig: signature }, secretKey)
}
