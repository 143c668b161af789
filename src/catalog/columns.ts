/**
 * Columns of a set of relations in one query. Versions ≥ 10: `attgenerated` from v12, `attcompression`
 * from v14; `attstattarget` is NULL for "default" from v17 (-1 before).
 */
import type pg from 'pg'

/** One column as the structure stage recreates it. */
export interface ColumnInfo {
  readonly relation: number
  readonly num: number
  readonly name: string
  /** `format_type(atttypid, atttypmod)`. */
  readonly type: string
  readonly notNull: boolean
  /** Default expression (not set for generated columns). */
  readonly default: string | null
  /** Generation expression: `s` stored, `v` virtual (v18). */
  readonly generated: { readonly kind: 's' | 'v'; readonly expr: string } | null
  /** `a` always, `d` by default. */
  readonly identity: 'a' | 'd' | null
  /** Collation (schema and name) when it differs from the type's. */
  readonly collation: { readonly schema: string; readonly name: string } | null
  /** Declared in this relation (false: only inherited). */
  readonly local: boolean
  /** `SET STORAGE` value when it differs from the type's default. */
  readonly storage: string | null
  readonly statistics: number | null
  /** Compression method (v14+), when set. */
  readonly compression: string | null
}

/** Read the live columns of the given relations, in attnum order. */
export async function readColumns(
  client: pg.Client,
  major: number,
  oids: readonly number[],
): Promise<ColumnInfo[]> {
  const generated = major >= 12 ? `a.attgenerated::text` : `''`
  const compression = major >= 14 ? `NULLIF(a.attcompression::text, '')` : `NULL::text`
  const r = await client.query<{
    relation: number
    num: number
    name: string
    type: string
    not_null: boolean
    def: string | null
    gen: string
    identity: string
    coll_schema: string | null
    coll_name: string | null
    local: boolean
    storage: string | null
    stats: number | null
    compression: string | null
  }>(
    `SELECT a.attrelid::int8::float8 AS relation, a.attnum::int AS num, a.attname AS name,
            format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
            pg_get_expr(d.adbin, d.adrelid) AS def, ${generated} AS gen, a.attidentity::text AS identity,
            CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation THEN cn.nspname END AS coll_schema,
            CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation THEN co.collname END AS coll_name,
            a.attislocal AS local,
            CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage::text END AS storage,
            NULLIF(a.attstattarget, -1)::int AS stats, ${compression} AS compression
       FROM pg_attribute a
       JOIN pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       LEFT JOIN pg_collation co ON co.oid = a.attcollation
       LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
      WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attrelid, a.attnum`,
    [oids],
  )
  return r.rows.map((x) => ({
    relation: x.relation,
    num: x.num,
    name: x.name,
    type: x.type,
    notNull: x.not_null,
    default: x.gen === 's' || x.gen === 'v' ? null : x.def,
    generated: x.gen === 's' || x.gen === 'v' ? { kind: x.gen, expr: x.def ?? '' } : null,
    identity: x.identity === 'a' || x.identity === 'd' ? x.identity : null,
    collation:
      x.coll_schema === null || x.coll_name === null
        ? null
        : { schema: x.coll_schema, name: x.coll_name },
    local: x.local,
    storage: x.storage,
    statistics: x.stats,
    compression: x.compression,
  }))
}
