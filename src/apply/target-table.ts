/**
 * The target table one source relation's changes are written to, as the target catalog describes
 * it: its columns (type for the casts, generated, identity) and whether it is partitioned. Read on
 * the apply connection (`search_path = pg_catalog`), so `format_type` prints names that resolve the
 * same way when used as casts.
 */
import type pg from 'pg'
import { versionNum } from '../catalog/server-version.js'

/** A column of the target table. */
export interface TargetColumn {
  readonly name: string
  /** `format_type(atttypid, atttypmod)`, usable as a cast. */
  readonly type: string
  readonly typeOid: number
  readonly typeMod: number
  /** Generated (stored) columns are computed by the target and never published. */
  readonly generated: boolean
  /** `attidentity`: '' none, 'a' GENERATED ALWAYS, 'd' BY DEFAULT. */
  readonly identity: string
  /**
   * In a unique or exclusion index checked at once (not deferrable), or in the expression or
   * predicate of one: the order in which rows get such a column's values can make a statement fail.
   */
  readonly unique: boolean
  /**
   * The first key column of a valid, non-partial btree index with the type's default operator class
   * and the column's collation, so `col = ANY(array)` can be found through it (full-run-sql.ts).
   * Never an array type: its text array would not cast to an array of arrays element by element.
   */
  readonly indexed: boolean
  /**
   * Two values are equal by the type's default btree `=` exactly when their text outputs are equal:
   * a built-in type in TEXT_EQUAL_TYPES, and for text the database's default collation, deterministic. A REPLICA
   * IDENTITY FULL run may then match the column typed (full-run-sql.ts).
   */
  readonly textEqual: boolean
}

/**
 * Built-in types whose default btree equality agrees with their text output in one session:
 * bool, bytea, int8, int2, int4, text, oid, varchar, date, uuid. Not float (-0 = 0, NaN), numeric
 * (1.0 = 1.00), bpchar (trailing blanks), timestamptz or time types (left to the text rule like
 * every type not listed), json (no equality), arrays and user types (domains, citext, enums).
 */
const TEXT_EQUAL_TYPES = [16, 17, 20, 21, 23, 25, 26, 1043, 1082, 2950]

/** A target table. */
export interface TargetTable {
  /** A partitioned table holds no rows itself: a statement aimed at it must reach its partitions. */
  readonly partitioned: boolean
  readonly columns: readonly TargetColumn[]
  /**
   * For a partition, the root of its tree: from v17 a partition's identity columns belong to the
   * root and change only through it ("cannot change identity column of a partition").
   */
  readonly root: { readonly schema: string; readonly name: string } | undefined
  /**
   * The table has a rewrite rule (enabled or not): COPY does not apply rules, so its INSERTs are not
   * sent as COPY (insert-run-copy.ts).
   */
  readonly rules: boolean
}

/** One row per column of the table (one row with null column fields when it has none). */
interface TargetColumnRow {
  partitioned: boolean
  rules: boolean
  root_schema: string | null
  root_name: string | null
  name: string
  type: string
  type_oid: number
  type_mod: number
  generated: boolean
  identity: string
  unique: boolean
  indexed: boolean
  text_equal: boolean
}

/** `$1` schema, `$2` name, `$3` TEXT_EQUAL_TYPES; `generated` the v12+ attgenerated test or 'false'. */
function targetTableSql(generated: string): string {
  return `SELECT c.relkind = 'p' AS partitioned, c.relhasrules AS rules, rn.nspname AS root_schema, rc.relname AS root_name,
          a.attname AS name,
          format_type(a.atttypid, a.atttypmod) AS type,
          a.atttypid::int8::float8 AS type_oid, a.atttypmod AS type_mod,
          ${generated} AS generated, a.attidentity::text AS identity,
          EXISTS (SELECT 1 FROM pg_index i
                   WHERE i.indrelid = c.oid AND (i.indisunique OR i.indisexclusion)
                     AND i.indimmediate
                     AND (a.attnum = ANY (i.indkey::int2[]) OR i.indexprs IS NOT NULL
                          OR i.indpred IS NOT NULL)) AS unique,
          EXISTS (SELECT 1 FROM pg_index i
                    JOIN pg_class ic ON ic.oid = i.indexrelid
                    JOIN pg_am am ON am.oid = ic.relam
                    JOIN pg_opclass oc ON oc.oid = i.indclass[0]
                    JOIN pg_type ty ON ty.oid = a.atttypid
                   WHERE i.indrelid = c.oid AND i.indkey[0] = a.attnum AND i.indisvalid
                     AND i.indpred IS NULL AND am.amname = 'btree' AND oc.opcdefault
                     AND i.indcollation[0] = a.attcollation
                     AND ty.typcategory <> 'A') AS indexed,
          (a.atttypid::int8 = ANY ($3::int8[])
           -- the database's default collation (oid 100), which the run's values cast to text
           -- get as well: another collation would make the join's = ambiguous
           AND (a.attcollation = 0
                OR a.attcollation = 100 AND (SELECT co.collisdeterministic FROM pg_collation co
                                              WHERE co.oid = a.attcollation))) AS text_equal
     FROM pg_class c
     JOIN pg_namespace n ON n.oid = c.relnamespace
     -- a row with no column when the table has none (a zero-column table exists all the same)
     LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     LEFT JOIN pg_class rc ON c.relispartition AND rc.oid = pg_partition_root(c.oid)
     LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
    WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')
    ORDER BY a.attnum`
}

/** Read `schema.name` on the target; undefined when the table does not exist. */
export async function readTargetTable(
  client: pg.Client,
  schema: string,
  name: string,
): Promise<TargetTable | undefined> {
  const v = await versionNum(client)
  // attgenerated and pg_partition_root exist from v12, the oldest target (attidentity from v10)
  const generated = v >= 120000 ? `a.attgenerated <> ''` : 'false'
  const r = await client.query<TargetColumnRow>(targetTableSql(generated), [
    schema,
    name,
    TEXT_EQUAL_TYPES,
  ])
  const first = r.rows[0]
  if (first === undefined) return undefined
  return {
    partitioned: first.partitioned,
    rules: first.rules,
    root:
      first.root_schema === null || first.root_name === null
        ? undefined
        : { schema: first.root_schema, name: first.root_name },
    columns: r.rows
      .filter((x) => x.name !== null)
      .map((x) => ({
        name: x.name,
        type: x.type,
        typeOid: x.type_oid,
        typeMod: x.type_mod,
        generated: x.generated,
        identity: x.identity,
        unique: x.unique,
        indexed: x.indexed,
        textEqual: x.text_equal === true,
      })),
  }
}
