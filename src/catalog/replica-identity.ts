/**
 * Tables whose updates and deletes logical replication cannot identify row-exactly: replica
 * identity DEFAULT without a primary key, NOTHING, or USING INDEX on an index that is gone. Only
 * leaf tables (relkind `r`) carry rows, so partitioned parents are not checked. One query per
 * database. All versions ≥ 10.
 */
import type pg from 'pg'
import { quoteIdent, quoteQualified } from '../pg/quote.js'

/** A table without a usable replica identity. */
export interface WeakIdentityTable {
  readonly oid: number
  readonly schema: string
  readonly name: string
  /** `d` default, `n` nothing, `i` index. */
  readonly identity: 'd' | 'n' | 'i'
  /**
   * A unique index that could serve as the identity (`REPLICA IDENTITY USING INDEX`): valid,
   * immediate, not partial, no expressions, every column NOT NULL. Null when there is none.
   */
  readonly candidateIndex: string | null
}

/** The tables among `oids` without a usable replica identity (v10+). */
export async function readWeakReplicaIdentity(
  client: pg.Client,
  oids: readonly number[],
): Promise<WeakIdentityTable[]> {
  if (oids.length === 0) return []
  const r = await client.query<WeakIdentityTable>(
    `SELECT c.oid::int8::float8 AS oid, n.nspname AS schema, c.relname AS name, c.relreplident::text AS identity,
            (SELECT ci.relname FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid
              WHERE i.indrelid = c.oid AND i.indisunique AND i.indimmediate AND i.indisvalid
                AND i.indpred IS NULL AND i.indexprs IS NULL
                AND NOT EXISTS (SELECT 1 FROM pg_attribute a
                                 WHERE a.attrelid = c.oid AND a.attnum = ANY (i.indkey) AND NOT a.attnotnull)
              ORDER BY ci.relname LIMIT 1) AS "candidateIndex"
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = ANY($1::oid[]) AND c.relkind = 'r'
        AND CASE c.relreplident
              WHEN 'f' THEN false
              WHEN 'n' THEN true
              WHEN 'i' THEN NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident)
              ELSE NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)
            END
      ORDER BY 2, 3`,
    [oids],
  )
  return r.rows
}

/** What a keyless published table does to the source, in the words the precheck and the load use. */
export const KEYLESS_HARM =
  'while the task exists, UPDATE and DELETE on this table fail on the source'

/** The statement that gives `t` an identity: its unique index where it has one, else FULL. */
export function identityFixSql(t: WeakIdentityTable): string {
  const table = `ALTER TABLE ${quoteQualified(t.schema, t.name)}`
  return t.candidateIndex === null
    ? `${table} REPLICA IDENTITY FULL;`
    : `${table} REPLICA IDENTITY USING INDEX ${quoteIdent(t.candidateIndex)};`
}
