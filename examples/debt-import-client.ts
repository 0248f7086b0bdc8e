/**
 * An operator's tool uploading a debt portfolio through a client generated from openapi/openapi.json: the types come
 * from openapi-typescript (`npm run client:check` generates examples/generated/api.d.ts and typechecks this file), and
 * the media type the file is sent as is read from the document's `requestBody`, as Swagger UI's "Try it out" reads
 * it. Without the import's requestBody this file does not typecheck and the upload has no media type to use.
 */
import type { paths } from './generated/api.js'

type CreateImport = paths['/v1/admin/debt-imports']['post']
type GetImport = paths['/v1/admin/debt-imports/{id}']['get']
/** The media types the document lets the file be sent as, each with the body's type (the file as text). */
type CsvContent = CreateImport extends { requestBody: { content: infer C } } ? C : Record<never, never>
export type CsvMediaType = keyof CsvContent & string
/** The document must let the file be sent as text/csv: without a requestBody this line does not typecheck. */
export const CSV_IS_DOCUMENTED: 'text/csv' extends CsvMediaType ? true : never = true
export type QueuedImport = CreateImport['responses'][202]['content']['application/json']
export type DebtImport = GetImport['responses'][200]['content']['application/json']
type Problem = CreateImport['responses'][415]['content']['application/problem+json']

/** What the client needs of the OpenAPI document: the import operation's request body. */
export interface ImportDocument {
  paths: Record<string, Record<string, { requestBody?: { content?: Record<string, unknown> } } | undefined> | undefined>
}

/** The first media type the document lists for the upload's body (`text/csv`): what a generated client sends. */
export function uploadMediaType (document: ImportDocument): CsvMediaType {
  const content = document.paths['/v1/admin/debt-imports']?.post?.requestBody?.content
  const first = content === undefined ? undefined : Object.keys(content)[0]
  if (first === undefined) throw new Error('the document gives POST /v1/admin/debt-imports no requestBody')
  // the generated types name the media types; the document read at run time must name one of them
  if (first !== 'text/csv' && first !== 'application/csv') throw new Error(`the upload's media type ${first} is unknown`)
  return first
}

/**
 * The body of an answer, typed by the status it came with (the generated types say what each status carries). No
 * cast: `Response.json()` is untyped, and the caller names the type from the document.
 */
export async function bodyOf<T> (response: Response): Promise<T> {
  return await response.json()
}

export class ImportRefused extends Error {
  constructor (readonly status: number, readonly problem: Problem) {
    super(`${status} ${problem.code}: ${problem.detail}`)
  }
}

export function debtImportClient (
  baseUrl: string, apiKey: string, document: ImportDocument, fetchImpl: typeof fetch = fetch
) {
  const mediaType = uploadMediaType(document)
  const authorization = `Bearer ${apiKey}`
  return {
    mediaType,
    /** Uploads the file as the document says (its first media type); 202 with the import's id, or ImportRefused. */
    async upload (file: CsvContent[CsvMediaType], fileName?: string): Promise<QueuedImport> {
      const headers: Record<string, string> = { authorization, 'content-type': `${mediaType}; charset=utf-8` }
      if (fileName !== undefined) headers['x-file-name'] = fileName
      const response = await fetchImpl(new URL('/v1/admin/debt-imports', baseUrl), { method: 'POST', headers, body: file })
      if (response.status === 202) return await bodyOf<QueuedImport>(response)
      throw new ImportRefused(response.status, await bodyOf<Problem>(response))
    },
    /** The import's report: poll until `completed`. */
    async report (id: QueuedImport['id']): Promise<DebtImport> {
      const url = new URL(`/v1/admin/debt-imports/${encodeURIComponent(id)}`, baseUrl)
      const response = await fetchImpl(url, { headers: { authorization } })
      if (response.status !== 200) throw new ImportRefused(response.status, await bodyOf<Problem>(response))
      return await bodyOf<DebtImport>(response)
    }
  }
}
