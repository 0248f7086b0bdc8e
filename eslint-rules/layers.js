// Local ESLint rules for the layers of src (docs/architecture.md, "Layers"; DESIGN 21):
//
// - `layers/folder-order`: every folder of src has a rank (RANKS below); a file imports only from its own folder or
//   from a folder of a lower rank. Folders of the same rank do not import each other. Type-only imports count (a
//   module that knows another's row shape depends on it), with one exception: `db/types.ts` composes the one `DB`
//   type from every owner's table declarations, so its `import type` lines point up by design.
// - `layers/table-owner`: a table belongs to the folder whose table declarations name it (the files `db/types.ts`
//   composes: `modules/X/tables.ts`, `http/idempotency-tables.ts`, `bank/sandbox/types.ts`). Only the owner writes
//   or locks its tables (insert, update, delete, merge, copy, `for update`/`for share`); another folder may read them
//   only when it ranks above the owner (a read is a dependency like an import). Checked on kysely's builder calls
//   (`selectFrom`, `insertInto`, `updateTable`, `deleteFrom`, joins, with `.forUpdate()` and friends) and on the text
//   of raw `sql` templates (FROM, JOIN, INTO, UPDATE, DELETE FROM, COPY; `sql.table('x')` and `sql.id('x')` read as
//   the name). A name the code computes at run time (`sql.table(variable)`) is the caller's: the caller passes a
//   literal and is checked there.
//
// Both rules work on paths alone (relative imports resolved against the importing file), so they need no resolver.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The dependency order, lowest first. An entry is a folder of src (`db`, `bank/sandbox`, `modules/payments`) or a
 * file (`config.ts`, `db/migrate-cli.ts`); a file's rank is that of its longest matching entry. Entries on one line
 * share a rank. A new folder has no rank until it is placed here (the rule says so at its first import).
 */
export const RANKS = [
  ['lib'],
  ['config-schema.ts'],
  ['config.ts'],
  ['db', 'bank'],
  ['bank/sandbox', 'bank/kaspi-sandbox', 'http', 'database-and-keys.ts'],
  ['modules/audit', 'modules/ledger', 'modules/notifications', 'modules/health', 'modules/agency'],
  ['modules/events', 'modules/calendar', 'modules/offers', 'modules/creditors'],
  ['modules/debts'],
  ['modules/payment-links'],
  ['modules/api-keys', 'modules/acceptances'],
  ['modules/payments'],
  ['modules/refunds', 'modules/channels', 'modules/settlements', 'modules/remittances'],
  ['modules/privacy', 'modules/reports', 'modules/metrics'],
  ['modules/partners'],
  ['jobs', 'app-context.ts'],
  ['app.ts', 'worker-role.ts', 'migrate-database.ts', 'config-docs.ts'],
  // entry points: the process and the command-line tools, wherever they live
  ['server.ts', 'api-key-cli.ts', 'openapi-cli.ts', 'config-docs-cli.ts', 'seed-cli.ts', 'db/migrate-cli.ts',
    'pii-rotate-cli.ts']
]

/** Trees the rules apply to, relative to the project (the fixtures' tree proves the rules fail). */
const ROOTS = ['src', 'test/lint-fixtures/layers']
const PROJECT = path.dirname(path.dirname(fileURLToPath(import.meta.url)))

/** The one file whose type-only imports may point up: it composes the DB type from every owner's tables. */
const TYPE_COMPOSITION = 'db/types.ts'

const RANK_OF = new Map(RANKS.flatMap((entries, rank) => entries.map((entry) => [entry, rank])))

const posix = (p) => p.split(path.sep).join('/')

/** The tree a file belongs to and its path inside it, or null outside every tree. */
function locate (file) {
  const relative = posix(path.relative(PROJECT, file))
  for (const root of ROOTS) {
    if (relative.startsWith(`${root}/`)) return { root, inner: relative.slice(root.length + 1).replace(/\.js$/, '.ts') }
  }
  return null
}

/** The rank table's entry for a path inside a tree: the longest entry that is the path or a folder holding it. */
function entryOf (inner) {
  const parts = inner.split('/')
  for (let n = parts.length; n > 0; n--) {
    const candidate = parts.slice(0, n).join('/')
    if (RANK_OF.has(candidate)) return candidate
  }
  // unranked: name the folder a reader would place (modules/X, or the top folder, or the top file)
  return parts[0] === 'modules' && parts.length > 2 ? parts.slice(0, 2).join('/') : parts[0]
}

const sourceOf = (node) => {
  if (node.type === 'ImportExpression') return node.source.type === 'Literal' ? node.source.value : undefined
  return node.source?.value
}

/** `import type`, `export type … from`, or an import whose every name is `type`. */
function typeOnly (node) {
  if (node.importKind === 'type' || node.exportKind === 'type') return true
  const specifiers = node.specifiers ?? []
  return node.type === 'ImportDeclaration' && specifiers.length > 0 &&
    specifiers.every((s) => s.type === 'ImportSpecifier' && s.importKind === 'type')
}

const folderOrder = {
  meta: {
    type: 'problem',
    docs: { description: 'Folders depend one way: a file imports from its own folder or from a lower rank' },
    schema: [],
    messages: {
      upward: '{{from}} (rank {{fromRank}}) may not import {{to}} (rank {{toRank}}): folders depend one way ' +
        '(eslint-rules/layers.js, RANKS)',
      unranked: '{{folder}} has no rank: place it in RANKS (eslint-rules/layers.js)'
    }
  },
  create (context) {
    const here = locate(context.filename)
    if (here === null) return {}
    const from = entryOf(here.inner)
    const check = (node) => {
      const source = sourceOf(node)
      if (typeof source !== 'string' || !source.startsWith('.')) return
      const there = locate(path.resolve(path.dirname(context.filename), source))
      if (there === null || there.root !== here.root) return
      const to = entryOf(there.inner)
      if (to === from) return
      if (here.inner === TYPE_COMPOSITION && typeOnly(node)) return
      for (const folder of [from, to]) {
        if (!RANK_OF.has(folder)) {
          context.report({ node, messageId: 'unranked', data: { folder } })
          return
        }
      }
      const fromRank = RANK_OF.get(from)
      const toRank = RANK_OF.get(to)
      if (toRank >= fromRank) context.report({ node, messageId: 'upward', data: { from, to, fromRank, toRank } })
    }
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check
    }
  }
}

const owners = new Map()

/**
 * Table name -> owning entry, read from the table declarations `db/types.ts` composes: each `interface …Tables`
 * names its tables, and the folder of the file that declares it owns them.
 */
function ownersOf (root) {
  if (owners.has(root)) return owners.get(root)
  const map = new Map()
  const composition = path.resolve(PROJECT, root, TYPE_COMPOSITION)
  const text = fs.existsSync(composition) ? fs.readFileSync(composition, 'utf8') : ''
  for (const [, source] of text.matchAll(/import\s+type\s+[^'"]*from\s+'([^']+)'/g)) {
    const declared = path.resolve(path.dirname(composition), source).replace(/\.js$/, '.ts')
    const owner = entryOf(locate(declared).inner)
    const declarations = fs.readFileSync(declared, 'utf8')
    for (const [, body] of declarations.matchAll(/export\s+interface\s+\w+Tables\s*\{([^}]*)\}/g)) {
      for (const [, table] of body.matchAll(/(\w+)\s*:/g)) map.set(table, owner)
    }
  }
  owners.set(root, map)
  return map
}

const BUILDER = {
  selectFrom: 'read',
  innerJoin: 'read',
  leftJoin: 'read',
  rightJoin: 'read',
  fullJoin: 'read',
  innerJoinLateral: 'read',
  leftJoinLateral: 'read',
  insertInto: 'write',
  replaceInto: 'write',
  updateTable: 'write',
  deleteFrom: 'write',
  mergeInto: 'write'
}
const LOCKS = new Set(['forUpdate', 'forShare', 'forNoKeyUpdate', 'forKeyShare'])

// Raw SQL: what follows these words names a table (optionally schema-qualified or quoted).
const NAME = String.raw`(?:only\s+)?("?[\w.]+"?)`
const RAW_WRITES = [
  new RegExp(String.raw`\binsert\s+into\s+${NAME}`, 'gi'),
  new RegExp(String.raw`\bmerge\s+into\s+${NAME}`, 'gi'),
  new RegExp(String.raw`\bdelete\s+from\s+${NAME}`, 'gi'),
  new RegExp(String.raw`\bupdate\s+${NAME}`, 'gi'),
  new RegExp(String.raw`\btruncate\s+(?:table\s+)?${NAME}`, 'gi'),
  new RegExp(String.raw`\bcopy\s+${NAME}`, 'gi')
]
const RAW_READS = [new RegExp(String.raw`\b(?:from|join)\s+${NAME}`, 'gi')]
const RAW_LOCK = /\bfor\s+(?:no\s+key\s+)?(?:update|share|key\s+share)\b/i

const literal = (node) => node?.type === 'Literal' && typeof node.value === 'string' ? node.value : undefined

/** The table a builder argument names: `'payments'`, `'payments as p'`, `['a', 'b as c']`. */
function builderTables (argument) {
  if (argument?.type === 'ArrayExpression') return argument.elements.flatMap(builderTables)
  const text = literal(argument)
  return text === undefined ? [] : [text.trim().split(/\s+/)[0]]
}

/** `sql.table('x')` / `sql.id('x')`: the name it stands for. */
function namedIdentifier (node) {
  if (node.type !== 'CallExpression' || node.callee.type !== 'MemberExpression') return undefined
  const { object, property } = node.callee
  if (object.type !== 'Identifier' || object.name !== 'sql') return undefined
  if (property.type !== 'Identifier' || (property.name !== 'table' && property.name !== 'id')) return undefined
  return literal(node.arguments[0])
}

/** Does this builder call's chain lock rows (`.forUpdate()` and friends further along)? */
function chainLocks (call) {
  let node = call
  const calledOn = (n) => n.parent?.type === 'MemberExpression' && n.parent.object === n &&
    n.parent.parent?.type === 'CallExpression'
  while (calledOn(node)) {
    const name = node.parent.property.type === 'Identifier' ? node.parent.property.name : ''
    if (LOCKS.has(name)) return true
    node = node.parent.parent
  }
  return false
}

const tableOwner = {
  meta: {
    type: 'problem',
    docs: { description: "Only a table's owner writes or locks it; others read it only from a higher rank" },
    schema: [],
    messages: {
      write: "'{{table}}' belongs to {{owner}}: only its owner writes or locks it (call {{owner}}'s functions)",
      read: "'{{table}}' belongs to {{owner}} (rank {{ownerRank}}): {{from}} (rank {{fromRank}}) may not read it; " +
        "a folder reads another's tables only from a higher rank, else through the owner's functions"
    }
  },
  create (context) {
    const here = locate(context.filename)
    if (here === null) return {}
    const from = entryOf(here.inner)
    const map = ownersOf(here.root)
    const seen = new Set()
    const judge = (node, table, access) => {
      const bare = table.replace(/"/g, '')
      const owner = map.get(bare) ?? map.get(bare.split('.').pop())
      if (owner === undefined || owner === from) return
      const key = `${node.range}:${bare}`
      if (seen.has(key)) return
      if (access === 'write') {
        seen.add(key)
        context.report({ node, messageId: 'write', data: { table: bare, owner } })
        return
      }
      const fromRank = RANK_OF.get(from)
      const ownerRank = RANK_OF.get(owner)
      if (fromRank !== undefined && ownerRank !== undefined && fromRank > ownerRank) return
      seen.add(key)
      context.report({ node, messageId: 'read', data: { table: bare, owner, from, ownerRank, fromRank } })
    }
    return {
      CallExpression (node) {
        if (node.callee.type !== 'MemberExpression' || node.callee.property.type !== 'Identifier') return
        const access = BUILDER[node.callee.property.name]
        if (access === undefined) return
        const locked = access === 'read' && chainLocks(node)
        for (const table of builderTables(node.arguments[0])) judge(node, table, locked ? 'write' : access)
      },
      TaggedTemplateExpression (node) {
        if (node.tag.type !== 'Identifier' || node.tag.name !== 'sql') return
        const { quasis, expressions } = node.quasi
        // the template's text, with `sql.table('x')` read as x and every other value as a placeholder
        const text = quasis.map((q, i) => {
          const value = i < expressions.length ? (namedIdentifier(expressions[i]) ?? ' $ ') : ''
          return (q.value.cooked ?? q.value.raw) + value
        }).join('')
        const locks = RAW_LOCK.test(text)
        for (const pattern of RAW_WRITES) {
          for (const match of text.matchAll(pattern)) judge(node, match[1], 'write')
        }
        for (const pattern of RAW_READS) {
          for (const match of text.matchAll(pattern)) judge(node, match[1], locks ? 'write' : 'read')
        }
      }
    }
  }
}

export default { rules: { 'folder-order': folderOrder, 'table-owner': tableOwner } }
