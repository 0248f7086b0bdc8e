import pg from 'pg'
import type { Test } from 'tap'
import { Kysely, PostgresDialect, type CompiledQuery } from 'kysely'

/** A node of Postgres's JSON plan, with what the plan tests read of it. */
export interface PlanNode {
  'Node Type': string
  'Relation Name'?: string
  'Index Name'?: string
  'Index Cond'?: string
  'Actual Rows'?: number
  Plans?: PlanNode[]
}

/** Every node of a plan, the root first. */
export function nodes (plan: PlanNode): PlanNode[] { return [plan, ...(plan.Plans ?? []).flatMap(nodes)] }

export interface PlanCapture {
  /** A kysely handle on its own connection that keeps every statement the code sends through it. */
  db: Kysely<any>
  /**
   * The plan of a statement the code sent (`back` = 1: the last one), as the planner makes it for those very
   * parameters; with `analyze`, run, so its nodes carry `Actual Rows`.
   */
  plan: (options?: { back?: number, analyze?: boolean }) => Promise<PlanNode[]>
}

/** Statements captured as the code sends them, then explained on the same database (the owner's connection). */
export function capturePlans (t: Test, ownerUrl: string): PlanCapture {
  const pool = new pg.Pool({ connectionString: ownerUrl, max: 1 })
  t.teardown(async () => { await pool.end() })
  const captured: CompiledQuery[] = []
  const db = new Kysely<any>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => { if (event.level === 'query') captured.push(event.query) }
  })
  return {
    db,
    plan: async ({ back = 1, analyze = false } = {}) => {
      const query = captured.at(-back) as CompiledQuery
      const { rows } = await pool.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
        `explain (${analyze ? 'analyze, ' : ''}format json) ${query.sql}`, query.parameters as unknown[])
      return nodes(rows[0]?.['QUERY PLAN'][0]?.Plan as PlanNode)
    }
  }
}
