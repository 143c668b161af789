/**
 * Tables whose updates and deletes logical replication cannot identify row-exactly: replica
 * identity DEFAULT without a primary key, NOTHING, or USING INDEX on an index that is gone. Only
 * leaf tables (relkind `r`) carry rows, so partitioned parents are not checked. One query per
 * database. All versions ≥ 10.
 */
import type pg from 'pg'

/** A table without a usable replica identity. */
export interface WeakIdentityTable {
  readonly oid: number
  readonly schema: string
  readonly name: string
  /** `d` default, `n` nothing, `i` index. */
  readonly identity: string
}

/** The tables among `oids` without a usable replica identity (v10+). */
export async function readWeakReplicaIdentity(
  client: pg.Client,
  oids: readonly number[],
): Promise<WeakIdentityTable[]> {
  if (oids.length === 0) return []
  const r = await client.query<WeakIdentityTable>(
    `SELECT c.oid::int8::float8 AS oid, n.nspname AS schema, c.relname AS name, c.relreplident::text AS identity
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
