// A local ESLint rule: a module's repository is private to it (docs/architecture.md, "Modules").
// `modules/X/repository.ts` (and the sandbox bank's `bank/sandbox/repository.ts`) may be imported only by files in
// that folder; every other module calls X's service. Relative imports are resolved against the importing file, so
// the rule needs no resolver.
import path from 'node:path'

const PRIVATE = /(?:^|\/)(modules\/[^/]+|bank\/sandbox)\/repository(?:\.[cm]?[jt]s)?$/

export default {
  rules: {
    'private-repository': {
      meta: {
        type: 'problem',
        docs: { description: "A module's repository is imported only from inside the module; others call its service" },
        schema: [],
        messages: { private: "'{{source}}' is the repository of {{owner}}: call that module's service instead" }
      },
      create (context) {
        const file = context.filename
        const check = (node, source) => {
          if (typeof source !== 'string' || !source.startsWith('.')) return
          const resolved = path.resolve(path.dirname(file), source)
          const match = PRIVATE.exec(resolved.split(path.sep).join('/'))
          if (match === null) return
          const fromInside = !path.relative(path.dirname(resolved), file).startsWith('..')
          if (!fromInside) context.report({ node, messageId: 'private', data: { source, owner: match[1] } })
        }
        return {
          ImportDeclaration: (node) => { check(node, node.source.value) },
          ExportNamedDeclaration: (node) => { check(node, node.source?.value) },
          ExportAllDeclaration: (node) => { check(node, node.source.value) },
          ImportExpression: (node) => { check(node, node.source.type === 'Literal' ? node.source.value : undefined) }
        }
      }
    }
  }
}
