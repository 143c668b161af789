/**
 * What the consistency check needs to know of a table: its live columns (generated ones included:
 * both sides compute them, so they must agree too) and the columns of the key it walks the table
 * by. The key is the primary key, else the first valid unique index (by name) whose columns are all
 * NOT NULL and has neither expressions nor a predicate: the same rows on both sides, each once.
 * All versions ≥ 10.
 */
import type pg from 'pg'

/** A column: its name and its type as `format_type` prints it (for casting text back). */
export interface RowKeyColumn {
  readonly name: string
  readonly type: string
}

/** A table's columns in attnum order and its key (`null` when it has none). */
export interface RowKeyShape {
  readonly columns: readonly RowKeyColumn[]
  readonly key: readonly RowKeyColumn[] | null
  /** Average bytes of a row, TOAST included (table size ÷ estimated rows); 0 when unknown. */
  readonly rowBytes: number
  /** `reltuples`: the statistics' row estimate; `-1` (v14+) or 0 when never analyzed. */
  readonly estimatedRows: number
}

/** The shape of relation `oid`. */
export async function readRowKeyShape(client: pg.Client, oid: number): Promise<RowKeyShape> {
  const cols = await client.query<{ name: string; type: string }>(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type
       FROM pg_attribute
      WHERE attrelid = $1::oid AND attnum > 0 AND NOT attisdropped
      ORDER BY attnum`,
    [oid],
  )
  const key = await client.query<{ names: string[] }>(
    `SELECT ARRAY(SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                   ORDER BY k.ord)::text[] AS names
       FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid
      WHERE i.indrelid = $1::oid AND i.indisunique AND i.indisvalid AND i.indpred IS NULL
        AND i.indexprs IS NULL AND 0 <> ALL (i.indkey)
        AND NOT EXISTS (SELECT 1 FROM pg_attribute a
                         WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) AND NOT a.attnotnull)
      ORDER BY i.indisprimary DESC, ci.relname
      LIMIT 1`,
    [oid],
  )
  const size = await client.query<{ rows: number; bytes: number }>(
    `SELECT reltuples::float8 AS rows, pg_table_size(oid)::float8 AS bytes FROM pg_class WHERE oid = $1::oid`,
    [oid],
  )
  const rows = size.rows[0]?.rows ?? -1
  const bytes = size.rows[0]?.bytes ?? 0
  const byName = new Map(cols.rows.map((c) => [c.name, c]))
  const names = key.rows[0]?.names
  return {
    columns: cols.rows,
    key: names === undefined ? null : names.map((n) => byName.get(n) ?? { name: n, type: 'text' }),
    rowBytes: rows > 0 ? bytes / rows : 0,
    estimatedRows: rows,
  }
}
