/**
 * Indexes of a set of tables and materialized views that do not back a constraint (those are
 * created by their constraint), one query. Versions ≥ 11 for partitioned indexes (`pg_inherits` on
 * indexes); the definition is `pg_get_indexdef`, so opclasses, INCLUDE, partial and expression
 * indexes come out as the server wrote them.
 */
import type pg from 'pg'

/** One index. */
export interface IndexInfo {
  readonly oid: number
  readonly table: number
  readonly name: string
  /** `pg_get_indexdef(oid)`: `CREATE [UNIQUE] INDEX name ON [ONLY] schema.table USING …`. */
  readonly definition: string
  /** `quote_ident(schema).quote_ident(table)` as the definition spells the table. */
  readonly tableSpelling: string
  /** The parent index this one is attached to (partitioned indexes). */
  readonly parent: number | null
  readonly clustered: boolean
  /** Backs a constraint (PK, unique, exclusion): created by the constraint, not by itself. */
  readonly constraint: number | null
  readonly replicaIdentity: boolean
  /**
   * A btree over plain columns with default opclasses and ordering, no predicate: what
   * `ADD CONSTRAINT … USING INDEX` accepts (so a PK/unique key can be built as an index first).
   */
  readonly plainBtree: boolean
}

/** Read every index of the given relations. */
export async function readIndexes(
  client: pg.Client,
  relations: readonly number[],
): Promise<IndexInfo[]> {
  const r = await client.query<{
    oid: number
    table: number
    name: string
    def: string
    spelling: string
    parent: number | null
    clustered: boolean
    con: number | null
    replident: boolean
    plain: boolean
  }>(
    `SELECT i.indexrelid::int8::float8 AS oid, i.indrelid::int8::float8 AS table, ic.relname AS name,
            pg_get_indexdef(i.indexrelid) AS def,
            quote_ident(tn.nspname) || '.' || quote_ident(tc.relname) AS spelling,
            (SELECT h.inhparent::int8::float8 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid LIMIT 1) AS parent,
            i.indisclustered AS clustered,
            (SELECT k.oid::int8::float8 FROM pg_constraint k
              WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x') LIMIT 1) AS con,
            i.indisreplident AS replident,
            (am.amname = 'btree' AND i.indexprs IS NULL AND i.indpred IS NULL
              AND NOT (0 <> ANY (i.indoption::int2[]))
              AND NOT EXISTS (SELECT 1 FROM pg_opclass oc
                               WHERE oc.oid = ANY (i.indclass::oid[]) AND NOT oc.opcdefault)) AS plain
       FROM pg_index i
       JOIN pg_class ic ON ic.oid = i.indexrelid
       JOIN pg_am am ON am.oid = ic.relam
       JOIN pg_class tc ON tc.oid = i.indrelid
       JOIN pg_namespace tn ON tn.oid = tc.relnamespace
      WHERE i.indrelid = ANY($1::oid[])
      ORDER BY i.indrelid, ic.relname`,
    [relations],
  )
  return r.rows.map((x) => ({
    oid: x.oid,
    table: x.table,
    name: x.name,
    definition: x.def,
    tableSpelling: x.spelling,
    parent: x.parent,
    clustered: x.clustered,
    constraint: x.con,
    replicaIdentity: x.replident,
    plainBtree: x.plain,
  }))
}
