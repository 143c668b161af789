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
  /** Tables an earlier (interrupted) run had finished, not copied again. */
  readonly tablesSkipped?: number
  /** Chunks copied in this run. */
  readonly chunks?: number
  /** Post-data steps run in this run. */
  readonly postDataSteps?: number
  /** Sequences set from the source. */
  readonly sequences?: number
  /** Large objects copied. */
  readonly largeObjects?: number
}
