/**
 * The handle `startIncremental` returns: the stream runs in the background until `complete`.
 * @public
 */
export interface IncrementalSync {
  /** Current gap per database. */
  lag(): Promise<
    readonly { readonly database: string; readonly lagBytes: bigint; readonly lagSeconds: number }[]
  >
  /** Stop streaming (the slot is kept, so the task can resume). */
  stop(): Promise<void>
  /** Settles when the stream ends: resolves on stop, rejects on failure. */
  readonly done: Promise<void>
}
