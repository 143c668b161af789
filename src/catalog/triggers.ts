/**
 * User triggers of a set of tables, one query. Internal triggers (FK enforcement) are left out, and
 * so are the clones a partitioned table's trigger puts on its partitions: from v13 they carry
 * `tgparentid`; in v11–12 the clones are marked `tgisinternal`, so the first filter drops them.
 */
import type pg from 'pg'

/** One trigger. */
export interface TriggerInfo {
  readonly oid: number
  readonly table: number
  readonly name: string
  /** `pg_get_triggerdef(oid, true)` (names qualified only when off the search_path). */
  readonly definition: string
  /** `O` origin (default), `D` disabled, `R` replica, `A` always. */
  readonly enabled: string
}

/** Read the triggers of the given tables and views. */
export async function readTriggers(
  client: pg.Client,
  major: number,
  relations: readonly number[],
): Promise<TriggerInfo[]> {
  const notClone = major >= 13 ? `AND t.tgparentid = 0` : ''
  const r = await client.query<{
    oid: number
    table: number
    name: string
    def: string
    enabled: string
  }>(
    `SELECT t.oid::int8::float8 AS oid, t.tgrelid::int8::float8 AS table, t.tgname AS name,
            pg_get_triggerdef(t.oid, true) AS def, t.tgenabled::text AS enabled
       FROM pg_trigger t
      WHERE t.tgrelid = ANY($1::oid[]) AND NOT t.tgisinternal ${notClone}
      ORDER BY t.tgrelid, t.tgname`,
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
