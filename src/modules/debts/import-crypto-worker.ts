// A worker thread of the upload: the per-row crypto of accepted rows (two
// HMACs and two AES-GCM encryptions a row, most of an upload's CPU), so it
// runs beside the CSV parsing. Rows come in clear over the thread's message
// port (memory, never at rest) and leave as COPY lines.
import { parentPort, workerData } from 'node:worker_threads'
import { createPiiCipher, type PiiKeys } from '../../lib/crypto.js'
import { acceptedLine, type AcceptedRow } from './import-staging.js'

const { keys, importId } = workerData as { keys: PiiKeys, importId: string }
const pii = createPiiCipher(keys)
parentPort?.on('message', (message: { id: number, rows: AcceptedRow[] }) => {
  let text = ''
  for (const row of message.rows) text += acceptedLine(pii, importId, row)
  parentPort?.postMessage({ id: message.id, text })
})
