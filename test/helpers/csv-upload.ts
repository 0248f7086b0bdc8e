/** A CSV file posted as the raw body (a registry, a payout), and a JSON GET, as an operator key sends them. */
export function operatorClient (base: string, authorization: string): {
  postCsv: (path: string, body: string, headers?: Record<string, string>) => Promise<{ status: number, body: any }>
  get: (path: string) => Promise<{ status: number, body: any }>
} {
  return {
    postCsv: async (path, body, headers = {}) => {
      const response = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'text/csv', ...headers },
        body
      })
      return { status: response.status, body: await response.json() }
    },
    get: async (path) => {
      const response = await fetch(`${base}${path}`, { headers: { authorization } })
      return { status: response.status, body: await response.json() }
    }
  }
}
