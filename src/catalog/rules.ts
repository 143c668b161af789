/**
 * Rewrite rules of a set of relations other than a view's own `_RETURN` rule, one query. All
 * versions ≥ 10.
 */
import type pg from 'pg'

/** One rule. */
export interface RuleInfo {
  readonly oid: number
  readonly table: number
  readonly name: string
  /** `pg_get_ruledef(oid, true)`, ending in `;`. */
  readonly definition: string
  /** `O` origin, `D` disabled, `R` replica, `A` always. */
  readonly enabled: string
}

/** Read the rules of the given relations. */
export async function readRules(
  client: pg.Client,
  relations: readonly number[],
): Promise<RuleInfo[]> {
  const r = await client.query<{
    oid: number
    table: number
    name: string
    def: string
    enabled: string
  }>(
    `SELECT w.oid::int8::float8 AS oid, w.ev_class::int8::float8 AS table, w.rulename AS name,
            pg_get_ruledef(w.oid, true) AS def, w.ev_enabled::text AS enabled
       FROM pg_rewrite w
      WHERE w.ev_class = ANY($1::oid[]) AND w.rulename <> '_RETURN'
      ORDER BY w.ev_class, w.rulename`,
    [relations],
  )
  return r.rows.map((x) => ({
    oid: x.oid,
    table: x.table,
    name: x.name,
    definition: x.def,
    enabled: x.enabled,
  }))
}
