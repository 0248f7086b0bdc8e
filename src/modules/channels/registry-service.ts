// A channel's daily registry compared with our payments (DESIGN 17): Kaspi sends the day's payments as it has them;
// each line is matched to our payment by Kaspi's transaction id. What only Kaspi has (missing here), what only we
// have among that Asia/Almaty day's Kaspi payments (missing there) and what both have with other sums (amount
// mismatches) are kept as differences of the registry, and our payments among them are flagged for review.
//
// Once per content: a registry is stored with its file's SHA-256, and the same file for the same channel and day
// finds it again and answers with what was found then, recording nothing (a lock on the channel and day makes two
// uploads at once take turns). Another file for the day is another registry.
import { createHash } from 'node:crypto'
import type { Database } from '../../db/database.js'
import { almatyDay } from '../../lib/almaty-day.js'
import { DomainError } from '../../lib/errors.js'
import { fromPublicId, toPublicId, uuidv7 } from '../../lib/ids.js'
import { toPage } from '../../lib/page.js'
import { recordAudit, type Actor } from '../audit/service.js'
import { flagRegistryDisagreement } from '../payments/service.js'
import { readRegistryFile } from './registry-file.js'
import type { ChannelRegistry } from './registry-schemas.js'
import {
  differencesOf, findRegistry, findRegistryOfFile, insertDifferences, insertRegistry, kaspiPaymentsOfTxns,
  kaspiPaymentsPaidBetween, listRegistries, lockRegistryDay
} from './repository.js'
import type { ChannelRegistryRow, RegistryChannel, RegistryDifferenceRow } from './tables.js'

/** What a registry and its summary both show. */
function headOf (row: ChannelRegistryRow) {
  return {
    id: toPublicId('channelRegistry', row.id),
    channel: row.channel,
    date: row.date,
    lines: row.lines,
    matched: row.matched
  }
}

function toRegistry (row: ChannelRegistryRow, differences: RegistryDifferenceRow[]): ChannelRegistry {
  const of = (kind: RegistryDifferenceRow['kind']) => differences.filter((d) => d.kind === kind)
  const payment = (d: RegistryDifferenceRow) => toPublicId('payment', d.payment_id as string)
  return {
    ...headOf(row),
    missingHere: of('missing_here').map((d) => ({ txnId: d.txn_id, account: d.account as string, sum: Number(d.theirs) })),
    missingThere: of('missing_there').map((d) => ({ paymentId: payment(d), txnId: d.txn_id, amount: Number(d.ours) })),
    amountMismatches: of('amount_mismatch').map((d) => ({
      paymentId: payment(d), txnId: d.txn_id, ours: Number(d.ours), theirs: Number(d.theirs)
    })),
    createdAt: row.created_at.toISOString()
  }
}

function toSummary (row: ChannelRegistryRow) {
  return {
    ...headOf(row),
    missingHereCount: row.missing_here,
    missingThereCount: row.missing_there,
    amountMismatchCount: row.amount_mismatches,
    createdAt: row.created_at.toISOString()
  }
}

type NewDifference = Omit<RegistryDifferenceRow, 'id' | 'registry_id'>

export interface RegistryUpload {
  channel: RegistryChannel
  date: string
  file: Buffer
  maxLines: number
}

/** The registry of this file: compared now (`created`), or as it was when the same file came before. */
export async function importRegistry (
  deps: { db: Database }, actor: Actor, upload: RegistryUpload
): Promise<{ registry: ChannelRegistry, created: boolean }> {
  const { from, to } = almatyDay(upload.date)
  const lines = readRegistryFile(upload.file, upload.maxLines)
  const fileSha256 = createHash('sha256').update(upload.file).digest('hex')
  return await deps.db.transaction().execute(async (trx) => {
    await lockRegistryDay(trx, upload.channel, upload.date)
    const known = await findRegistryOfFile(trx, upload.channel, upload.date, fileSha256)
    if (known !== undefined) return { registry: toRegistry(known, await differencesOf(trx, known.id)), created: false }

    const ours = new Map((await kaspiPaymentsOfTxns(trx, lines.map((l) => l.txnId))).map((p) => [p.txn_id, p]))
    const inFile = new Set(lines.map((l) => l.txnId))
    const differences: NewDifference[] = []
    let matched = 0
    for (const line of lines) {
      const payment = ours.get(line.txnId)
      if (payment === undefined) {
        differences.push({ kind: 'missing_here', txn_id: line.txnId, account: line.account, payment_id: null, ours: null, theirs: line.sum, flagged: false })
      } else if (payment.amount !== line.sum) {
        differences.push({ kind: 'amount_mismatch', txn_id: line.txnId, account: line.account, payment_id: payment.id, ours: payment.amount, theirs: line.sum, flagged: true })
      } else {
        matched++
      }
    }
    for (const payment of await kaspiPaymentsPaidBetween(trx, from, to)) {
      if (inFile.has(payment.txn_id)) continue
      differences.push({ kind: 'missing_there', txn_id: payment.txn_id, account: null, payment_id: payment.id, ours: payment.amount, theirs: null, flagged: true })
    }
    const count = (kind: NewDifference['kind']) => differences.filter((d) => d.kind === kind).length
    const row = await insertRegistry(trx, {
      id: uuidv7(),
      channel: upload.channel,
      date: upload.date,
      file_sha256: fileSha256,
      lines: lines.length,
      matched,
      missing_here: count('missing_here'),
      missing_there: count('missing_there'),
      amount_mismatches: count('amount_mismatch'),
      created_by_key_id: actor.keyId
    })
    const registryId = toPublicId('channelRegistry', row.id)
    for (const difference of differences) {
      if (difference.payment_id === null) continue
      await flagRegistryDisagreement(trx, difference.payment_id,
        difference.kind === 'missing_there' ? 'registry_missing' : 'registry_amount_mismatch',
        {
          registryId,
          txnId: difference.txn_id,
          ...(difference.theirs === null ? {} : { registrySum: difference.theirs.toString() })
        })
    }
    await insertDifferences(trx, differences.map((d) => ({ ...d, registry_id: row.id })))
    await recordAudit(trx, actor, {
      action: 'channel_registry.imported',
      entityType: 'channel_registry',
      entityId: registryId,
      details: {
        channel: row.channel,
        date: row.date,
        lines: row.lines,
        matched,
        missingHere: row.missing_here,
        missingThere: row.missing_there,
        amountMismatches: row.amount_mismatches
      }
    })
    return { registry: toRegistry(row, await differencesOf(trx, row.id)), created: true }
  })
}

export function registryNotFound (): DomainError {
  return new DomainError('channel_registry_not_found', 'No channel registry with this id')
}

export async function getRegistry (db: Database, publicId: string): Promise<ChannelRegistry> {
  const id = fromPublicId('channelRegistry', publicId)
  const row = id === null ? undefined : await findRegistry(db, id)
  if (row === undefined) throw registryNotFound()
  return toRegistry(row, await differencesOf(db, row.id))
}

export async function listRegistriesPage (
  db: Database, query: { channel?: RegistryChannel, date?: string, limit?: number, startingAfter?: string }
) {
  const limit = query.limit ?? 20
  const rows = await listRegistries(db, {
    channel: query.channel,
    date: query.date,
    limit,
    startingAfter: query.startingAfter === undefined ? null : fromPublicId('channelRegistry', query.startingAfter)
  })
  return toPage(rows, limit, (shown) => shown.map(toSummary))
}
