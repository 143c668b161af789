/**
 * The handle `startIncremental` returns: the stream runs in the background until `complete`.
 * @public
 */
export interface IncrementalSync {
  /**
   * Current gap per database, and the WAL each database's slot holds back on the source
   * (`retainedBytes`: `pg_current_wal_lsn() - restart_lsn`).
   */
  lag(): Promise<
    readonly {
      readonly database: string
      readonly lagBytes: bigint
      readonly lagSeconds: number
      readonly retainedBytes: bigint | undefined
    }[]
  >
  /** Stop streaming (the slot is kept, so the task can resume). */
  stop(): Promise<void>
  /** Settles when the stream ends: resolves on stop, rejects on failure. */
  readonly done: Promise<void>
}
