/**
 * Table constraints of a set of relations, one query. Versions ≥ 11 (`conparentid`; 10 has no
 * partitioned indexes, so 0 there). NOT NULL constraints (`contype = 'n'`, v18) are left out: the
 * column's NOT NULL recreates them.
 */
import type pg from 'pg'

/** One table constraint. */
export interface ConstraintInfo {
  readonly oid: number
  readonly table: number
  readonly name: string
  /** `c` check, `p` primary key, `u` unique, `x` exclusion, `f` foreign key, `t` constraint trigger. */
  readonly type: 'c' | 'p' | 'u' | 'x' | 'f' | 't'
  /** `pg_get_constraintdef(oid)`. */
  readonly definition: string
  /** Declared on this table (false: only inherited from a parent). */
  readonly local: boolean
  readonly validated: boolean
  /** The constraint of the parent partitioned table this one was cloned from. */
  readonly parent: number | null
  /** The referenced table (FK). */
  readonly referenced: number | null
  /** The index the constraint uses (PK/unique/exclusion: its own; FK: the referenced key's). */
  readonly index: number | null
}

/** Read the constraints of the given tables. */
export async function readConstraints(
  client: pg.Client,
  major: number,
  relations: readonly number[],
): Promise<ConstraintInfo[]> {
  const parent = major >= 11 ? `NULLIF(k.conparentid, 0)::int8::float8` : `NULL::float8`
  const r = await client.query<{
    oid: number
    table: number
    name: string
    type: ConstraintInfo['type']
    def: string
    local: boolean
    validated: boolean
    parent: number | null
    ref: number | null
    index: number | null
  }>(
    `SELECT k.oid::int8::float8 AS oid, k.conrelid::int8::float8 AS table, k.conname AS name,
            k.contype::text AS type, pg_get_constraintdef(k.oid) AS def, k.conislocal AS local,
            k.convalidated AS validated, ${parent} AS parent,
            NULLIF(k.confrelid, 0)::int8::float8 AS ref, NULLIF(k.conindid, 0)::int8::float8 AS index
       FROM pg_constraint k
      WHERE k.conrelid = ANY($1::oid[]) AND k.contype IN ('c', 'p', 'u', 'x', 'f')
      ORDER BY k.conrelid, k.conname`,
    [relations],
  )
  return r.rows.map((x) => ({
    oid: x.oid,
    table: x.table,
    name: x.name,
    type: x.type,
    definition: x.def,
    local: x.local,
    validated: x.validated,
    parent: x.parent,
    referenced: x.ref,
    index: x.index,
  }))
}
