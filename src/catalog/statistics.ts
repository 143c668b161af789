/**
 * Extended statistics objects (`CREATE STATISTICS`) on a set of tables, one query. Versions ≥ 10
 * (`pg_get_statisticsobjdef`); the statistics target (`stxstattarget`, v13+) is read when set.
 */
import type pg from 'pg'

/** One statistics object. */
export interface StatisticsInfo {
  readonly oid: number
  readonly table: number
  readonly schema: string
  readonly name: string
  readonly owner: string
  /** `pg_get_statisticsobjdef(oid)`: `CREATE STATISTICS s.name (kinds) ON cols FROM s.table`. */
  readonly definition: string
  /** `quote_ident(schema).quote_ident(name)` as the definition spells the object. */
  readonly spelling: string
  readonly target: number | null
}

/** Read the statistics objects defined on the given tables. */
export async function readStatistics(
  client: pg.Client,
  major: number,
  relations: readonly number[],
): Promise<StatisticsInfo[]> {
  const target = major >= 13 ? `NULLIF(s.stxstattarget, -1)::int` : `NULL::int`
  const r = await client.query<{
    oid: number
    table: number
    schema: string
    name: string
    owner: string
    def: string
    spelling: string
    target: number | null
  }>(
    `SELECT s.oid::int8::float8 AS oid, s.stxrelid::int8::float8 AS table, n.nspname AS schema, s.stxname AS name,
            pg_get_userbyid(s.stxowner) AS owner, pg_get_statisticsobjdef(s.oid) AS def,
            quote_ident(n.nspname) || '.' || quote_ident(s.stxname) AS spelling, ${target} AS target
       FROM pg_statistic_ext s JOIN pg_namespace n ON n.oid = s.stxnamespace
      WHERE s.stxrelid = ANY($1::oid[]) ORDER BY n.nspname, s.stxname`,
    [relations],
  )
  return r.rows.map((x) => ({
    oid: x.oid,
    table: x.table,
    schema: x.schema,
    name: x.name,
    owner: x.owner,
    definition: x.def,
    spelling: x.spelling,
    target: x.target,
  }))
}
