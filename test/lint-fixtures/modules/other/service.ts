// Lint fixture (test/lint.test.ts): another module reaching into the owner's repository, three ways; each is an error.
import { findThing } from '../owner/repository.js'
import { thing } from '../owner/service.js'

export { findThing as found } from '../owner/repository.js'

export async function both (): Promise<string> {
  const late = await import('../owner/repository.js')
  return findThing() + thing() + late.findThing()
}
