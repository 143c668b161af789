/**
 * User-defined operators of the selected schemas, one query. Versions ≥ 10 (postfix operators,
 * gone in v14, show as `oprright = 0` and are reported by the caller).
 */
import type pg from 'pg'

/** One operator. */
export interface OperatorInfo {
  readonly oid: number
  readonly schema: string
  readonly name: string
  readonly owner: string
  /** `format_type` of the operands; null for a missing operand (prefix / postfix). */
  readonly left: string | null
  readonly right: string | null
  /** Functions as `regproc` text, operators as `regoper` text (qualified unless on the search_path). */
  readonly function: string
  /** The function's oid when it is a user function (not pg_catalog's, not an extension's). */
  readonly userFunction: number | null
  readonly commutator: string | null
  readonly negator: string | null
  readonly restrict: string | null
  readonly join: string | null
  readonly hashes: boolean
  readonly merges: boolean
}

/** Read the operators of the given schemas that no extension owns. */
export async function readOperators(
  client: pg.Client,
  schemas: readonly string[],
): Promise<OperatorInfo[]> {
  const r = await client.query<OperatorInfo>(
    `SELECT o.oid::int8::float8 AS oid, n.nspname AS schema, o.oprname AS name, pg_get_userbyid(o.oprowner) AS owner,
            CASE WHEN o.oprleft <> 0 THEN format_type(o.oprleft, NULL) END AS left,
            CASE WHEN o.oprright <> 0 THEN format_type(o.oprright, NULL) END AS right,
            o.oprcode::regproc::text AS function,
            (SELECT p.oid::int8::float8 FROM pg_proc p JOIN pg_namespace pn ON pn.oid = p.pronamespace
              WHERE p.oid = o.oprcode AND pn.nspname <> 'pg_catalog'
                AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e')) AS "userFunction",
            NULLIF(o.oprcom, 0)::regoper::text AS commutator, NULLIF(o.oprnegate, 0)::regoper::text AS negator,
            NULLIF(o.oprrest, 0)::regproc::text AS restrict, NULLIF(o.oprjoin, 0)::regproc::text AS join,
            o.oprcanhash AS hashes, o.oprcanmerge AS merges
       FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace
      WHERE n.nspname = ANY($1::text[])
        AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_operator'::regclass AND e.objid = o.oid AND e.deptype = 'e')
      ORDER BY 2, 3, 5, 6`,
    [schemas],
  )
  return r.rows
}
