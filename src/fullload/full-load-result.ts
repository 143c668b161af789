/**
 * What `fullLoad` returns.
 * @public
 */
export interface FullLoadResult {
  /** Tables the load covers, those an earlier run finished included. */
  readonly tables: number
  /** Rows copied in this run. */
  readonly rows: number
  /** COPY bytes relayed in this run. */
  readonly bytes: number
  /** Wall-clock time of this run, in milliseconds. */
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
