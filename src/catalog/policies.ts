/**
 * Row-level security policies of a set of tables, one query. Versions ≥ 10 (`polpermissive`).
 */
import type pg from 'pg'

/** One policy. */
export interface PolicyInfo {
  readonly oid: number
  readonly table: number
  readonly name: string
  /** `r` SELECT, `a` INSERT, `w` UPDATE, `d` DELETE, `*` ALL. */
  readonly command: string
  readonly permissive: boolean
  /** Role names; empty for PUBLIC. */
  readonly roles: readonly string[]
  readonly using: string | null
  readonly withCheck: string | null
}

/** Read the policies of the given tables. */
export async function readPolicies(
  client: pg.Client,
  relations: readonly number[],
): Promise<PolicyInfo[]> {
  const r = await client.query<{
    oid: number
    table: number
    name: string
    cmd: string
    permissive: boolean
    roles: string[] | null
    qual: string | null
    check: string | null
  }>(
    `SELECT p.oid::int8::float8 AS oid, p.polrelid::int8::float8 AS table, p.polname AS name,
            p.polcmd::text AS cmd, p.polpermissive AS permissive,
            (SELECT array_agg(pg_get_userbyid(x)::text ORDER BY x) FROM unnest(p.polroles) x WHERE x <> 0) AS roles,
            pg_get_expr(p.polqual, p.polrelid) AS qual, pg_get_expr(p.polwithcheck, p.polrelid) AS check
       FROM pg_policy p WHERE p.polrelid = ANY($1::oid[]) ORDER BY p.polrelid, p.polname`,
    [relations],
  )
  return r.rows.map((x) => ({
    oid: x.oid,
    table: x.table,
    name: x.name,
    command: x.cmd,
    permissive: x.permissive,
    roles: x.roles ?? [],
    using: x.qual,
    withCheck: x.check,
  }))
}
