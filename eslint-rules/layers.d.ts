// Types of eslint-rules/layers.js for test/lint.test.ts, which checks docs/architecture.md against the rank table.
export declare const RANKS: string[][]
declare const plugin: { rules: Record<string, unknown> }
export default plugin
