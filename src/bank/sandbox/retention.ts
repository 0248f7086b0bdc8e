// The sandbox bank's tables grow with every test payment of a staging deployment: the worker's daily
// `sandbox-purge` forgets the orders older than the retention (docs/operations.md#retention). A refund asked of an
// order forgotten is refused as the real bank refuses an unknown payment. In live mode the tables are empty.
import type { Handle } from '../../db/database.js'
import { purgeOrdersBefore } from './repository.js'

const BATCH = 1000

/** Forgets the orders created before `before`, with their refunds and callbacks, in batches; how many went. */
export async function purgeSandboxOrders (db: Handle, before: Date): Promise<number> {
  let orders = 0
  while (true) {
    const purged = await purgeOrdersBefore(db, before, BATCH)
    orders += purged
    if (purged < BATCH) return orders
  }
}
