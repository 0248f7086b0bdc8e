// A TCP port free on the loopback right now: the embedded Postgres takes one, and so do the tests' servers.
import { createServer } from 'node:net'

export async function freePort (): Promise<number> {
  return await new Promise((resolvePort, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => { resolvePort(typeof address === 'object' && address !== null ? address.port : 0) })
    })
  })
}
