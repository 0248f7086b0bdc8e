import http, { type ClientRequest } from 'node:http'

/**
 * One POST through node:http, its answer read whole as text. `send` writes
 * the body and ends the request (a string, or a file piped in). The bench
 * sends with node:http, not fetch: fetch kept every chunk of a streamed
 * body (the import's RSS figure measured the harness) and cost about 3 ms
 * of CPU a request (the pay cycle's client took a quarter of a cycle's
 * work from the service).
 */
export async function post (
  url: string,
  options: { headers: Record<string, string>, agent?: http.Agent },
  send: (request: ClientRequest) => Promise<void> | void
): Promise<{ status: number, body: string }> {
  return await new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', ...options }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => { body += chunk })
      response.on('end', () => { resolve({ status: response.statusCode ?? 0, body }) })
      response.on('error', reject)
    })
    request.on('error', reject)
    Promise.resolve(send(request)).catch(reject)
  })
}
