/**
 * User-defined collations of the selected schemas, one query. Versions ≥ 10; `collisdeterministic`
 * from v12; the ICU locale is `collcollate` before v15, `colliculocale` in v15–16 and `colllocale`
 * from v17 (which also adds the builtin provider `b`).
 */
import type pg from 'pg'

/** One collation. */
export interface CollationInfo {
  readonly oid: number
  readonly schema: string
  readonly name: string
  readonly owner: string
  /** `c` libc, `i` icu, `b` builtin, `d` default. */
  readonly provider: string
  readonly collate: string | null
  readonly ctype: string | null
  readonly locale: string | null
  readonly deterministic: boolean
}

/** Read the collations of the given schemas that no extension owns. */
export async function readCollations(
  client: pg.Client,
  major: number,
  schemas: readonly string[],
): Promise<CollationInfo[]> {
  const locale =
    major >= 17
      ? `c.colllocale`
      : major >= 15
        ? `c.colliculocale`
        : `CASE WHEN c.collprovider = 'i' THEN c.collcollate END`
  const deterministic = major >= 12 ? `c.collisdeterministic` : `true`
  const r = await client.query<{
    oid: number
    schema: string
    name: string
    owner: string
    provider: string
    collate: string | null
    ctype: string | null
    locale: string | null
    deterministic: boolean
  }>(
    `SELECT c.oid::int8::float8 AS oid, n.nspname AS schema, c.collname AS name, pg_get_userbyid(c.collowner) AS owner,
            c.collprovider::text AS provider, c.collcollate AS collate, c.collctype AS ctype, ${locale} AS locale,
            ${deterministic} AS deterministic
       FROM pg_collation c JOIN pg_namespace n ON n.oid = c.collnamespace
      WHERE n.nspname = ANY($1::text[])
        AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_collation'::regclass AND e.objid = c.oid AND e.deptype = 'e')
      ORDER BY 2, 3`,
    [schemas],
  )
  return r.rows
}
