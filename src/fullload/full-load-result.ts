/**
 * What `fullLoad` returns.
 * @public
 */
export interface FullLoadResult {
  readonly tables: number
  readonly rows: number
  readonly bytes: number
  readonly durationMs: number
  /** Start LSN of the incremental stream per database (`X/Y`), for `full+incremental`. */
  readonly startLsn: Readonly<Record<string, string>>
}
