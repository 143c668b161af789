import type { CompleteVerifyMode } from '../verify/cutover-check.js'

/**
 * Options for `complete`.
 * @public
 */
export interface CompleteOptions {
  /** Aborting stops the stage promptly; the task becomes `paused` and can resume. */
  readonly signal?: AbortSignal
  /** Wait until the data gap is 0 bytes and the lag 0 s before cutting over. Defaults to `true`. */
  readonly waitForZeroLag?: boolean
  /**
   * How long to wait for the apply to reach the fence before failing with `PGFERRY_COMPLETE_LAG`
   * (the task stays resumable). Defaults to 600 000 ms.
   */
  readonly timeoutMs?: number
  /**
   * What to compare after the drain, before anything is dropped: `'checksum'` every row (see
   * `verify`), `'count'` row counts only, `'none'` nothing. A difference fails `complete` with
   * `PGFERRY_VERIFY_MISMATCH` naming the tables and keys; the slot stays, so the task can be fixed
   * and completed again. Defaults to `'checksum'`.
   */
  readonly verify?: CompleteVerifyMode
}

/**
 * What `complete` returns.
 * @public
 */
export interface CompleteResult {
  /** Target sequences set to the source's values at cutover. */
  readonly sequencesSet: number
  /** Replication slots dropped on the source (one per database the sync streamed). */
  readonly slotsDropped: number
  /**
   * Publications pgferry had created and dropped on the source (a DBA's named publication is never
   * dropped).
   */
  readonly publicationsDropped: number
  /**
   * Tables compared source against target by the `verify` option's mode (all equal, or it throws);
   * 0 with `verify: 'none'`.
   */
  readonly tablesVerified: number
  /** Large objects copied again at cutover. */
  readonly largeObjects: number
  /** The source WAL position each database was drained to (`X/Y`), by source database. */
  readonly fenceLsn: Readonly<Record<string, string>>
}
