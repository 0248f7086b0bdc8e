// Creditors as records (DESIGN 18): a name, the other spellings portfolios use, a BIN and the agreement. Rows of a
// portfolio, partner keys and reports name a creditor by any spelling that folds to one of its names
// (lib/creditor-names.ts); the debts, the ledger's claims accounts and partner keys hold its id, so a rename changes
// nothing in the books.
import type { Database, Handle } from '../../db/database.js'
import type { Actor } from '../../lib/actor.js'
import { foldCreditorName } from '../../lib/creditor-names.js'
import { DomainError } from '../../lib/errors.js'
import { fromPublicId, toPublicId } from '../../lib/ids.js'
import { isValidBin } from '../../lib/iin.js'
import { toPage, type Page } from '../../lib/page.js'
import { recordAudit } from '../audit/service.js'
import { payableOf, type AgencyTerms } from '../ledger/service.js'
import {
  claimNames, createMissingCreditors, creditorIdsByKeys, creditorsByIds, findCreditor, insertCreditor,
  listCreditorRows, releaseNames, updateCreditor
} from './repository.js'
import type { Creditor, CreateCreditorInput, PatchCreditorInput } from './schemas.js'
import type { CreditorRow } from './tables.js'

/** `payable`: what the agency owes the creditor now (the ledger's payable account; 0 when it has none). */
export function toCreditor (row: CreditorRow, payable = 0n): Creditor {
  return {
    id: toPublicId('creditor', row.id),
    name: row.name,
    aliases: row.aliases,
    bin: row.bin,
    agreement: { kind: row.agreement_kind, commissionBps: row.commission_bps },
    payable: Number(payable),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString()
  }
}

const notFound = (): DomainError => new DomainError('unknown_creditor', 'No creditor with this id')

function checkBin (bin: string | null | undefined): void {
  if (bin !== undefined && bin !== null && !isValidBin(bin)) {
    throw new DomainError('invalid_bin', 'The BIN\'s check digit is wrong',
      { errors: [{ path: 'body.bin', message: 'not a valid BIN (check digit)' }] })
  }
}

function checkAgreement (agreement: { kind: string, commissionBps: number } | undefined): void {
  if (agreement?.kind === 'assignment' && agreement.commissionBps !== 0) {
    throw new DomainError('invalid_agreement', 'Under assignment the agency takes no commission',
      { errors: [{ path: 'body.agreement.commissionBps', message: 'must be 0 under assignment' }] })
  }
}

/** The folded keys of a name and aliases, each once; an alias folding to nothing is refused. */
function keysOf (name: string, aliases: string[]): string[] {
  const keys = [name, ...aliases].map(foldCreditorName)
  if (keys.some((k) => k === '')) {
    throw new DomainError('invalid_creditor_name', 'A name or alias is only quotes and spaces',
      { errors: [{ path: 'body.name', message: 'must hold a letter or digit' }] })
  }
  return [...new Set(keys)]
}

function exists (keys: string[]): DomainError {
  return new DomainError('creditor_exists', `Another creditor already has this name or alias: ${keys.join(', ')}`)
}

export async function createCreditor (db: Database, actor: Actor, input: CreateCreditorInput): Promise<Creditor> {
  checkBin(input.bin)
  checkAgreement(input.agreement)
  const name = input.name.trim()
  const aliases = [...new Set((input.aliases ?? []).map((a) => a.trim()))]
  const keys = keysOf(name, aliases)
  return await db.transaction().execute(async (trx) => {
    const row = await insertCreditor(trx, {
      name,
      aliases,
      bin: input.bin ?? null,
      agreement_kind: input.agreement?.kind ?? 'assignment',
      commission_bps: input.agreement?.commissionBps ?? 0
    })
    const taken = await claimNames(trx, row.id, keys)
    if (taken.length > 0) throw exists(taken)
    const view = toCreditor(row)
    await recordAudit(trx, actor, {
      action: 'creditor.created', entityType: 'creditor', entityId: view.id,
      details: { name: view.name, aliases: view.aliases, bin: view.bin, agreement: view.agreement }
    })
    return view
  })
}

export async function getCreditor (db: Database, publicId: string): Promise<Creditor> {
  const id = fromPublicId('creditor', publicId)
  const row = id === null ? undefined : await findCreditor(db, id)
  if (row === undefined) throw notFound()
  return toCreditor(row, (await payableOf(db, [row.id])).get(row.id))
}

export async function listCreditors (
  db: Database, query: { limit?: number, startingAfter?: string }
): Promise<Page<Creditor>> {
  const limit = query.limit ?? 20
  const startingAfter = query.startingAfter === undefined ? null : fromPublicId('creditor', query.startingAfter)
  return await toPage(await listCreditorRows(db, { limit, startingAfter }), limit, async (rows) => {
    const payable = await payableOf(db, rows.map((r) => r.id))
    return rows.map((row) => toCreditor(row, payable.get(row.id)))
  })
}

/** A rename or new aliases change the names that match; no debt and no ledger account changes (they hold the id). */
export async function patchCreditor (
  db: Database, actor: Actor, publicId: string, input: PatchCreditorInput
): Promise<Creditor> {
  checkBin(input.bin)
  checkAgreement(input.agreement)
  const id = fromPublicId('creditor', publicId)
  if (id === null) throw notFound()
  return await db.transaction().execute(async (trx) => {
    const before = await findCreditor(trx, id, true)
    if (before === undefined) throw notFound()
    const name = input.name?.trim() ?? before.name
    const aliases = input.aliases === undefined ? before.aliases : [...new Set(input.aliases.map((a) => a.trim()))]
    const keys = keysOf(name, aliases)
    const taken = await claimNames(trx, id, keys)
    if (taken.length > 0) throw exists(taken)
    await releaseNames(trx, id, keys)
    const row = await updateCreditor(trx, id, {
      name,
      aliases,
      ...(input.bin !== undefined ? { bin: input.bin } : {}),
      ...(input.agreement !== undefined
        ? { agreement_kind: input.agreement.kind, commission_bps: input.agreement.commissionBps }
        : {})
    })
    const view = toCreditor(row, (await payableOf(trx, [row.id])).get(row.id))
    await recordAudit(trx, actor, {
      action: 'creditor.updated', entityType: 'creditor', entityId: view.id,
      details: {
        before: {
          name: before.name, aliases: before.aliases, bin: before.bin, agreement: toCreditor(before).agreement
        },
        after: { name: view.name, aliases: view.aliases, bin: view.bin, agreement: view.agreement }
      }
    })
    return view
  })
}

/**
 * The creditors these references name: a `cred_…` id, or a name or alias in any spelling that folds alike. Each
 * reference's creditor id (uuid) in order, each once; a reference that names none is 422 `creditor_not_found`.
 */
export async function resolveCreditorRefs (db: Handle, refs: string[], path = 'body.creditors'): Promise<string[]> {
  const byId = refs.map((r) => fromPublicId('creditor', r.trim()))
  const names = await creditorIdsByKeys(db, refs.filter((_, i) => byId[i] === null).map(foldCreditorName))
  const known = new Set((await creditorsByIds(db, byId.filter((id) => id !== null))).map((c) => c.id))
  const ids = refs.map((ref, i) => {
    const id = byId[i] ?? null
    return id !== null ? (known.has(id) ? id : undefined) : names.get(foldCreditorName(ref))
  })
  const missing = refs.filter((_, i) => ids[i] === undefined)
  if (missing.length > 0) {
    throw new DomainError('creditor_not_found', `No creditor has this name, alias or id: ${missing.join(', ')}`,
      { errors: missing.map(() => ({ path, message: 'matches no creditor' })) })
  }
  return [...new Set(ids as string[])]
}

/** The creditor one reference names (id, name or alias), or null. */
export async function findCreditorByRef (db: Handle, ref: string): Promise<string | null> {
  try {
    return (await resolveCreditorRefs(db, [ref]))[0] ?? null
  } catch (error) {
    if (error instanceof DomainError && error.code === 'creditor_not_found') return null
    throw error
  }
}

/**
 * The creditor's agreement as the ledger books a payment under it (DESIGN 18): its terms when it is `agency` (the
 * payment owes the creditor its share, less the commission), null under assignment. Read when the payment is booked.
 */
export async function agencyTermsOf (db: Handle, creditorId: string): Promise<AgencyTerms | null> {
  const row = await findCreditor(db, creditorId)
  if (row === undefined || row.agreement_kind !== 'agency') return null
  return { creditorId: row.id, commissionBps: row.commission_bps }
}

/** A creditor's row by its id (uuid), for modules ranked above (remittances, statements). */
export async function findCreditorRow (db: Handle, id: string): Promise<CreditorRow | undefined> {
  return await findCreditor(db, id)
}

/** Names (current) of these creditor ids. */
export async function creditorNames (db: Handle, ids: string[]): Promise<Map<string, string>> {
  return new Map((await creditorsByIds(db, [...new Set(ids)])).map((c) => [c.id, c.name]))
}

/**
 * The creditors a portfolio's names stand for, each by its folded name or alias; a name no creditor has creates one,
 * named as the row writes it (in the caller's transaction; a concurrent import creating the same name is resolved
 * by the name key). One round trip for the known names. Returns every name's creditor id and the ones created.
 */
export async function resolveImportCreditors (
  db: Handle, names: string[]
): Promise<{ ids: Map<string, string>, created: Array<{ id: string, name: string }> }> {
  const keyOf = new Map(names.map((n) => [n, foldCreditorName(n)]))
  const byKey = await creditorIdsByKeys(db, [...new Set(keyOf.values())])
  const missing = new Map<string, string>()
  for (const [name, key] of keyOf) if (!byKey.has(key) && !missing.has(key)) missing.set(key, name.trim().slice(0, 200))
  const made = await createMissingCreditors(db, [...missing].map(([key, name]) => ({ key, name })))
  for (const m of made) byKey.set(m.key, m.id)
  if (made.length < missing.size) {
    // created meanwhile by another import
    for (const [key, id] of await creditorIdsByKeys(db, [...missing.keys()])) byKey.set(key, id)
  }
  const ids = new Map<string, string>()
  for (const [name, key] of keyOf) {
    const id = byKey.get(key)
    if (id === undefined) throw new Error(`creditor ${key} was neither found nor created`)
    ids.set(name, id)
  }
  return { ids, created: made.map((m) => ({ id: m.id, name: m.name })) }
}
