/**
 * Relation-level facts the structure stage needs, for a set of relations in one query: storage
 * options, partitioning, inheritance, RLS, replica identity, view definitions, owner. Versions ≥ 10;
 * the table access method is read from v12 (`relam` of tables), earlier it is always heap.
 *
 * Definitions are deparsed by the server under the caller's `search_path`, so the caller sets it
 * first (see schema/schema-stage.ts).
 */
import type pg from 'pg'

/** One relation's definition facts. */
export interface RelationInfo {
  readonly oid: number
  readonly owner: string
  /** `key=value` storage parameters (for a view: `check_option=…`, `security_barrier=…`). */
  readonly options: readonly string[]
  /** `key=value` storage parameters of the TOAST table. */
  readonly toastOptions: readonly string[]
  /** `pg_get_partkeydef`, for partitioned tables. */
  readonly partitionKey: string | null
  /** `pg_get_expr(relpartbound)`, for partitions: `FOR VALUES …` or `DEFAULT`. */
  readonly partitionBound: string | null
  /** Parents of a (non-partition) inheritance child, in `inhseqno` order. */
  readonly inherits: readonly number[]
  readonly rowSecurity: boolean
  readonly forceRowSecurity: boolean
  /** `d` default, `n` nothing, `f` full, `i` index. */
  readonly replicaIdentity: 'd' | 'n' | 'f' | 'i'
  /** Table access method when it is not heap (v12+). */
  readonly accessMethod: string | null
  /** `pg_get_viewdef(oid, true)` for views and materialized views. */
  readonly viewDefinition: string | null
  readonly populated: boolean
  /** `reloftype` set: a typed table (`CREATE TABLE … OF type`). */
  readonly typed: boolean
}

/** Read {@link RelationInfo} for the given relation oids. */
export async function readRelations(
  client: pg.Client,
  major: number,
  oids: readonly number[],
): Promise<Map<number, RelationInfo>> {
  const am =
    major >= 12
      ? `(SELECT a.amname FROM pg_am a WHERE a.oid = c.relam AND c.relkind IN ('r', 'm') AND a.amname <> 'heap')`
      : `NULL::name`
  const r = await client.query<{
    oid: number
    owner: string
    options: string[] | null
    toast_options: string[] | null
    partkey: string | null
    bound: string | null
    inherits: number[] | null
    rls: boolean
    force_rls: boolean
    replident: 'd' | 'n' | 'f' | 'i'
    am: string | null
    viewdef: string | null
    populated: boolean
    typed: boolean
  }>(
    `SELECT c.oid::int8::float8 AS oid, pg_get_userbyid(c.relowner) AS owner,
            c.reloptions AS options,
            (SELECT t.reloptions FROM pg_class t WHERE t.oid = c.reltoastrelid) AS toast_options,
            CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partkey,
            CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS bound,
            CASE WHEN NOT c.relispartition THEN
              (SELECT array_agg(i.inhparent::int8::float8 ORDER BY i.inhseqno) FROM pg_inherits i WHERE i.inhrelid = c.oid)
            END AS inherits,
            c.relrowsecurity AS rls, c.relforcerowsecurity AS force_rls,
            c.relreplident::text AS replident, ${am} AS am,
            CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END AS viewdef,
            c.relispopulated AS populated, c.reloftype <> 0 AS typed
       FROM pg_class c WHERE c.oid = ANY($1::oid[])`,
    [oids],
  )
  const out = new Map<number, RelationInfo>()
  for (const x of r.rows) {
    out.set(x.oid, {
      oid: x.oid,
      owner: x.owner,
      options: x.options ?? [],
      toastOptions: x.toast_options ?? [],
      partitionKey: x.partkey,
      partitionBound: x.bound,
      inherits: x.inherits ?? [],
      rowSecurity: x.rls,
      forceRowSecurity: x.force_rls,
      replicaIdentity: x.replident,
      accessMethod: x.am,
      viewDefinition: x.viewdef,
      populated: x.populated,
      typed: x.typed,
    })
  }
  return out
}
