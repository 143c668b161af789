/**
 * Sequence definitions (pg_sequence, v10+) with the column that owns them, and whether they are an
 * identity column's sequence (those are recreated by the column's `GENERATED … AS IDENTITY`).
 */
import type pg from 'pg'

/** One sequence's definition. */
export interface SequenceInfo {
  readonly oid: number
  readonly owner: string
  readonly type: string
  readonly start: string
  readonly increment: string
  readonly min: string
  readonly max: string
  readonly cache: string
  readonly cycle: boolean
  /** Owning column (`OWNED BY`), when there is one. */
  readonly ownedBy: { readonly relation: number; readonly column: string } | null
  /** True for the sequence of an identity column. */
  readonly identity: boolean
}

/** Read the given sequences (and identity sequences of the given tables) in one query. */
export async function readSequences(
  client: pg.Client,
  oids: readonly number[],
): Promise<SequenceInfo[]> {
  const r = await client.query<{
    oid: number
    owner: string
    type: string
    start: string
    increment: string
    min: string
    max: string
    cache: string
    cycle: boolean
    owner_rel: number | null
    owner_col: string | null
    deptype: string | null
  }>(
    `SELECT c.oid::int8::float8 AS oid, pg_get_userbyid(c.relowner) AS owner,
            format_type(s.seqtypid, NULL) AS type, s.seqstart::text AS start, s.seqincrement::text AS increment,
            s.seqmin::text AS min, s.seqmax::text AS max, s.seqcache::text AS cache, s.seqcycle AS cycle,
            d.refobjid::int8::float8 AS owner_rel, a.attname AS owner_col, d.deptype::text AS deptype
       FROM pg_class c JOIN pg_sequence s ON s.seqrelid = c.oid
       LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
            AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0
       LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
      WHERE c.oid = ANY($1::oid[])`,
    [oids],
  )
  return r.rows.map((x) => ({
    oid: x.oid,
    owner: x.owner,
    type: x.type,
    start: x.start,
    increment: x.increment,
    min: x.min,
    max: x.max,
    cache: x.cache,
    cycle: x.cycle,
    ownedBy:
      x.owner_rel !== null && x.owner_col !== null
        ? { relation: x.owner_rel, column: x.owner_col }
        : null,
    identity: x.deptype === 'i',
  }))
}
