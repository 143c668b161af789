/**
 * What checking one table needs, whether it has a key or not, and what it finds.
 */
import type { RowWatch } from '../apply/row-watch.js'
import type { RowKeyColumn } from '../catalog/row-key.js'
import type { VerifyLanes } from './verify-lanes.js'
import type { VerifyDifference, VerifyRow } from './verify-report.js'
import type { RowSql } from './row-sql.js'

/** One table, both sides. */
export interface CheckedTable {
  /** The table's oid on the source. */
  readonly oid: number
  readonly database: string
  /** `schema.table` on the source. */
  readonly table: string
  /** `database.schema.table` on the target. */
  readonly targetTable: string
  readonly columns: readonly string[]
  readonly key: readonly RowKeyColumn[] | null
  /** Average bytes of a row on the source (table size ÷ rows), for progress. */
  readonly rowBytes: number
  /** Rows on the source as its statistics estimate them (`-1`: never analyzed). */
  readonly estimatedRows: number
  /** Quoted `schema.table` on the source (chunk boundaries are read there). */
  readonly sourceQualified: string
  readonly source: RowSql
  readonly target: RowSql
}

/** The run a table is checked in. */
export interface CheckEnv {
  readonly lanes: VerifyLanes
  readonly signal: AbortSignal
  readonly chunkRows: number
  /** For `sample`: the share of chunks checked (0–1]; 1 checks all. */
  readonly share: number
  readonly maxDifferences: number
  /**
   * Resolves once the target has applied the source's changes up to `lsn` (`X/Y`): set only while
   * a sync of this database runs, so a chunk read while writes continue is read again after it.
   */
  readonly settle: ((lsn: string) => Promise<void>) | undefined
  /** Set with `settle`: record the changes the sync receives for a source table (row-watch.ts). */
  readonly watch: ((oid: number) => RowWatch | undefined) | undefined
  /** A chunk was hashed: its rows and (estimated) bytes on the source. */
  onChunk(rows: number, bytes: number): void
  /** A table's chunk count became known. */
  onChunks(count: number): void
}

/** What a table's check found. */
export interface TableFindings {
  sourceRows: number
  targetRows: number
  chunks: number
  chunksChecked: number
  chunksRechecked: number
  differences: VerifyDifference[]
  differenceCount: number
}

/** An empty tally. */
export function noFindings(): TableFindings {
  return {
    sourceRows: 0,
    targetRows: 0,
    chunks: 0,
    chunksChecked: 0,
    chunksRechecked: 0,
    differences: [],
    differenceCount: 0,
  }
}

/** A fetched row without the key texts the query added. */
export function rowOf(raw: Record<string, unknown>, columns: readonly string[]): VerifyRow {
  const row: Record<string, string | null> = {}
  for (const c of columns) row[c] = (raw[c] as string | null | undefined) ?? null
  return row
}

/** `true` when both rows are there and print the same, or both are absent. */
export function sameRow(a: VerifyRow | null, b: VerifyRow | null): boolean {
  if (a === null || b === null) return a === b
  return JSON.stringify(a) === JSON.stringify(b)
}

/** The source's WAL position now, `X/Y`: every commit a query before this one saw is below it. */
export const CURRENT_LSN_SQL = `SELECT pg_current_wal_lsn()::text AS lsn`
