/**
 * The names of a relation's live columns, by its OID (every version). The apply reads them on the
 * source when a replayed Relation message and the target table disagree: they tell which columns a
 * DDL since the message added or dropped.
 */
import type pg from 'pg'

/** Column names of relation `oid` now; empty when it no longer exists. */
export async function readColumnNames(client: pg.Client, oid: number): Promise<Set<string>> {
  const r = await client.query<{ name: string }>(
    `SELECT attname AS name FROM pg_attribute
      WHERE attrelid = $1::oid AND attnum > 0 AND NOT attisdropped`,
    [oid],
  )
  return new Set(r.rows.map((x) => x.name))
}
