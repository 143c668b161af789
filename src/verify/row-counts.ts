/**
 * The cutover's consistency check: the row count of every migrated table, source against target,
 * each read by SQL on its own side (never from pgferry's own records). `ONLY`: a table with
 * inheritance children is counted alone, as each child is counted on its own.
 */
import type pg from 'pg'
import { quoteQualified } from '../pg/quote.js'

/** A table to compare. */
export interface CountedTable {
  readonly schema: string
  readonly name: string
  readonly targetSchema: string
}

/**
 * A table whose counts differ.
 * @public
 */
export interface CountMismatch {
  /** `schema.name` on the source. */
  readonly table: string
  /** Rows of the table alone (`ONLY`) on the source. */
  readonly sourceRows: number
  /** Rows of the table alone (`ONLY`) on the target. */
  readonly targetRows: number
}

/** Compare row counts; returns the tables that differ. */
export async function compareRowCounts(
  source: pg.Client,
  target: pg.Client,
  tables: readonly CountedTable[],
): Promise<CountMismatch[]> {
  const mismatches: CountMismatch[] = []
  for (const t of tables) {
    const [s, d] = await Promise.all([
      countRows(source, quoteQualified(t.schema, t.name)),
      countRows(target, quoteQualified(t.targetSchema, t.name)),
    ])
    if (s !== d) mismatches.push({ table: `${t.schema}.${t.name}`, sourceRows: s, targetRows: d })
  }
  return mismatches
}

async function countRows(client: pg.Client, qualified: string): Promise<number> {
  const r = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ONLY ${qualified}`)
  return Number(r.rows[0]?.n ?? 0)
}
