/**
 * The consistency check's options and report: data, never thrown (kysely's MigrationResultSet
 * rule). A difference names its key and carries both rows, so a caller can fix it.
 */

/**
 * How `verify` compares.
 *
 * - `count`: row counts per table.
 * - `checksum`: every row, by one hash per chunk of key ranges computed on each server.
 * - `sample`: the same as `checksum` over a random share of each table's chunks.
 * @public
 */
export type VerifyMode = 'count' | 'checksum' | 'sample'

/**
 * Options of `verify`.
 * @public
 */
export interface VerifyOptions {
  /** Defaults to `'checksum'`. */
  readonly mode?: VerifyMode
  /**
   * Tables to compare, as `schema.table` or `database.schema.table` (source names). Defaults to
   * every table the task migrated, partitions included.
   */
  readonly tables?: readonly string[]
  /** For `sample`: the percentage of chunks checked, above 0 and at most 100. Defaults to 10. */
  readonly sample?: number
  /** Rows per chunk. Defaults to 50 000. */
  readonly chunkRows?: number
  /** Differences kept per table (the count goes on). Defaults to 100. */
  readonly maxDifferences?: number
  /** Aborting stops the check promptly with `PGFERRY_ABORTED`. */
  readonly signal?: AbortSignal
}

/**
 * A row as its columns print (the canonical text both servers produce under the check's session
 * settings); `null` for SQL NULL.
 * @public
 */
export type VerifyRow = Readonly<Record<string, string | null>>

/**
 * One row that differs.
 * @public
 */
export interface VerifyDifference {
  /** Source database. */
  readonly database: string
  /** `schema.table` on the source. */
  readonly table: string
  /**
   * `changed`: the key is on both sides with other values; `missing`: on the source only;
   * `extra`: on the target only. A table without a key has no `changed`: a row is its own key.
   */
  readonly kind: 'changed' | 'missing' | 'extra'
  /** The key's columns; for a table without a key, the whole row. */
  readonly key: VerifyRow
  /** The source's row (`null` when it has none). */
  readonly source: VerifyRow | null
  /** The target's row (`null` when it has none). */
  readonly target: VerifyRow | null
  /** For a table without a key: how often the row is on the source. */
  readonly sourceCount?: number
  /** For a table without a key: how often the row is on the target. */
  readonly targetCount?: number
}

/**
 * The check of one table.
 * @public
 */
export interface TableVerifyReport {
  /** Source database. */
  readonly database: string
  /** `schema.table` on the source. */
  readonly table: string
  /** `database.schema.table` on the target (renames applied). */
  readonly targetTable: string
  /**
   * `equal`, or `different` when a row differs (in `count` mode: when the counts differ). While a
   * sync runs, only a row confirmed after the target caught up counts.
   */
  readonly status: 'equal' | 'different'
  /**
   * Whether the table has a key (primary key, or a unique index on NOT NULL columns). A table
   * without one is compared as a multiset of row hashes: slower, and a difference is named by the
   * whole row.
   */
  readonly keyed: boolean
  /** Rows on the source (in `sample` mode: in the chunks checked). */
  readonly sourceRows: number
  /** Rows on the target (in `sample` mode: in the chunks checked). */
  readonly targetRows: number
  /** Chunks the table was cut into (0 in `count` mode). */
  readonly chunks: number
  /** Chunks compared (all of them, but in `sample` mode). */
  readonly chunksChecked: number
  /** Chunks that differed when first read and were read again after the sync caught up. */
  readonly chunksRechecked: number
  /** Wall-clock time of the table's check, in milliseconds. */
  readonly durationMs: number
  /** Rows that differ, up to `maxDifferences`. */
  readonly differences: readonly VerifyDifference[]
  /** Rows that differ, all of them. */
  readonly differenceCount: number
}

/**
 * What `verify` returns.
 * @public
 */
export interface VerifyReport {
  /** The mode that ran. */
  readonly mode: VerifyMode
  /** Every table is `equal`. */
  readonly equal: boolean
  /** One report per table, in the order of the task's manifest. */
  readonly tables: readonly TableVerifyReport[]
  /** Wall-clock time of the whole check, in milliseconds. */
  readonly durationMs: number
}
