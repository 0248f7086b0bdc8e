// The pay cycle's client for the timed run (pay.ts): its own process, so its HTTP work (requests, signing the
// callbacks) never takes the event loop of the service it measures. Prints one JSON line.
import { readFileSync } from 'node:fs'
import { forDuration, oneCycle, type PayChildInput } from './pay.js'

const input = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as PayChildInput
const cyclesPerSecond = await forDuration(input.acceptanceIds.length, input.seconds, async (loop) => {
  await oneCycle(input.base, input.secret, input.acceptanceIds[loop] as string)
})
process.stdout.write(JSON.stringify({ cyclesPerSecond }))
