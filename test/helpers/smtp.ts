import { SMTPServer } from 'smtp-server'

/**
 * A real SMTP server as the mail sink (smtp-server, the nodemailer team's),
 * on 127.0.0.1 and a free port, with a login: what the service hands it
 * arrives over the wire exactly as a provider would receive it. The sink
 * decodes what tests read (headers, the Subject's encoded words, a
 * base64 or quoted-printable text part).
 */
interface Teardown { teardown: (fn: () => unknown) => void }

export interface ReceivedMail {
  envelopeFrom: string
  envelopeTo: string[]
  headers: Map<string, string>
  subject: string
  text: string
  raw: string
}

export interface SmtpSink {
  /** smtp://user:password@127.0.0.1:port */
  url: string
  messages: ReceivedMail[]
  /** RCPT TO for these addresses is refused with 550 (a permanent 5xx), or only `times` times. */
  refuse: (address: string, times?: number) => void
  close: () => Promise<void>
}

export const SINK_USER = 'outbox'
export const SINK_PASSWORD = 'sink-password-3141'

function decodeWords (value: string): string {
  return value.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=\s*(?==\?)?/g, (_m, _charset: string, encoding: string, text: string) =>
    encoding.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64').toString('utf8')
      : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_x, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8'))
}

function decodeQuotedPrintable (body: string): string {
  const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_x, hex: string) => String.fromCharCode(parseInt(hex, 16)))
  return Buffer.from(bytes, 'latin1').toString('utf8')
}

export function parseMail (raw: string): { headers: Map<string, string>, subject: string, text: string } {
  const split = raw.indexOf('\r\n\r\n')
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ')
  const body = raw.slice(split + 4)
  const headers = new Map<string, string>()
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim())
  }
  if (/multipart/i.test(headers.get('content-type') ?? '')) throw new Error('the sink reads single-part messages only')
  const encoding = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase()
  const text = encoding === 'base64'
    ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
    : encoding === 'quoted-printable' ? decodeQuotedPrintable(body) : body
  return { headers, subject: decodeWords(headers.get('subject') ?? ''), text: text.replace(/\r\n/g, '\n') }
}

export async function startSmtpSink (t: Teardown): Promise<SmtpSink> {
  const messages: ReceivedMail[] = []
  const refusals = new Map<string, number>()
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth (auth, _session, callback) {
      if (auth.username === SINK_USER && auth.password === SINK_PASSWORD) {
        callback(null, { user: auth.username })
        return
      }
      callback(Object.assign(new Error('Invalid credentials'), { responseCode: 535 }))
    },
    onRcptTo (address, _session, callback) {
      const left = refusals.get(address.address.toLowerCase())
      if (left !== undefined && left > 0) {
        refusals.set(address.address.toLowerCase(), left - 1)
        callback(Object.assign(new Error(`5.1.1 <${address.address}>: mailbox unavailable`), { responseCode: 550 }))
        return
      }
      callback()
    },
    onData (stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => { chunks.push(chunk) })
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('latin1')
        messages.push({
          envelopeFrom: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          envelopeTo: session.envelope.rcptTo.map((r) => r.address),
          ...parseMail(raw),
          raw
        })
        callback()
      })
    }
  })
  server.on('error', () => {}) // a client that drops the connection is not the test's failure
  const port = await new Promise<number>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.server.address()
      resolve(typeof address === 'object' && address !== null ? address.port : 0)
    })
  })
  let closed = false
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
  }
  t.teardown(close)
  return {
    url: `smtp://${SINK_USER}:${SINK_PASSWORD}@127.0.0.1:${port}`,
    messages,
    refuse: (address, times = Number.POSITIVE_INFINITY) => { refusals.set(address.toLowerCase(), times) },
    close
  }
}
