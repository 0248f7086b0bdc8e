import { createServer, type IncomingHttpHeaders } from 'node:http'

export interface Received { path: string, headers: IncomingHttpHeaders, body: string }
export interface Answer { status: number, headers?: Record<string, string> }

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>`: an endpoint's URL is this and a path of the test's own. */
  url: string
  /** Every request, in the order they came. */
  received: Received[]
  /** What the next requests to a path are answered, in turn; 200 once they run out. */
  answers: Map<string, Answer[]>
}

/**
 * A local webhook receiver on a free port (endpoints need `WEBHOOK_ALLOW_PRIVATE_URLS=true`): records each request
 * as it came, and answers it as the test asked. Closed with the test.
 */
export async function startWebhookReceiver (t: { teardown: (fn: () => void) => void }): Promise<WebhookReceiver> {
  const received: Received[] = []
  const answers = new Map<string, Answer[]>()
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => { body += chunk.toString('utf8') })
    req.on('end', () => {
      const path = req.url ?? '/'
      received.push({ path, headers: req.headers, body })
      const next = answers.get(path)?.shift() ?? { status: 200 }
      res.writeHead(next.status, next.headers ?? {}).end('')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.close() })
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return { url: `http://127.0.0.1:${port}`, received, answers }
}
