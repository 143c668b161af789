/**
 * The task lease: the store's record of which process runs a task now (ARCHITECTURE.md: one runner
 * per task). A holder beats while it works; a lease whose last beat is older than the stale-after
 * time belongs to a process that is gone, and another may take it over.
 */

/**
 * Who holds a task's lease, as the store keeps it.
 * @public
 */
export interface TaskLease {
  /** Random per holder (a Task object), so two Task objects of one process are two holders. */
  readonly token: string
  /** `os.hostname()` of the holder. */
  readonly host: string
  /** Process id of the holder on its host. */
  readonly pid: number
  /** When the holder took the lease. */
  readonly startedAt: Date
  /** The holder's last heartbeat. */
  readonly beatAt: Date
  /** What the holder last reported with a beat (lag, apply rate, load progress): {@link LiveFigures}. */
  readonly live?: Readonly<Record<string, unknown>>
}

/**
 * What a running Task reports with each heartbeat, for `pgferry status` in another process.
 * @public
 */
export interface LiveFigures {
  /** Per source database, the last lag sample: bytes and seconds behind the source. */
  readonly lag?: Readonly<Record<string, { readonly bytes: number; readonly seconds: number }>>
  /** Rows the sync applied per second since the previous beat. */
  readonly appliedRowsPerSecond?: number
  /** Source transactions the sync applied per second since the previous beat. */
  readonly appliedTransactionsPerSecond?: number
  /** The full load's last progress: percent of bytes, tables done of total, post-data steps. */
  readonly load?: {
    readonly percent: number
    readonly tablesDone: number
    readonly tablesTotal: number
    readonly etaSeconds: number | null
    /** Post-data steps (indexes, keys, triggers) done; absent from runners before issue 14. */
    readonly postDataDone?: number
    /** Post-data steps planned so far. */
    readonly postDataTotal?: number
  }
  /** Tables the full load is copying now, with their COPY bytes relayed and rows committed. */
  readonly copying?: readonly LiveTableCopy[]
  /** Per source database, the WAL the task's slot holds back there (the last sample). */
  readonly retained?: Readonly<
    Record<string, { readonly bytes: number; readonly walStatus: string | null }>
  >
}

/**
 * A table the full load copies now, as a running Task reports it with its heartbeat.
 * @public
 */
export interface LiveTableCopy {
  /** The source database. */
  readonly database: string
  /** The source table, `schema.name`. */
  readonly table: string
  /** COPY bytes relayed so far, all its chunks together. */
  readonly bytes: number
  /** Rows of its chunks that have committed (a chunk's rows are known when it commits). */
  readonly rows: number
  /** Chunks committed, of `chunks`. */
  readonly chunksDone: number
  /** The chunks it is copied in. */
  readonly chunks: number
}

/**
 * A request that the process holding a task's lease stop its work as on Ctrl-C (`pauseTask`,
 * `pgferry pause`), kept in the store for that holder; the holder sees it with its next heartbeat.
 * @public
 */
export interface PauseRequest {
  /** When it was asked for (ISO 8601). */
  readonly requestedAt: string
  /** `os.hostname()` of the process that asked. */
  readonly host: string
  /** Process id of the process that asked. */
  readonly pid: number
}

/**
 * What a process claims the lease with.
 * @public
 */
export interface LeaseClaim {
  /** See {@link TaskLease.token}. */
  readonly token: string
  /** See {@link TaskLease.host}. */
  readonly host: string
  /** See {@link TaskLease.pid}. */
  readonly pid: number
}

/**
 * How {@link ProgressStore.acquireLease} decides.
 * @public
 */
export interface LeaseAcquireOptions {
  /** A lease with no beat for this long (by the store's clock) is taken over. */
  readonly staleAfterMs: number
  /** Take the lease even if live, but only while this token holds it (a forced takeover). */
  readonly replace?: string
}

/**
 * The outcome of {@link ProgressStore.acquireLease}: taken, or held by someone else.
 * @public
 */
export type LeaseAcquireResult =
  { readonly acquired: true } | { readonly acquired: false; readonly held: TaskLease }

/**
 * A Task's lease timing. The defaults suit a process that beats every few seconds: a holder killed
 * on another host is taken over after `staleAfterMs`; one killed on this host at once (its pid is
 * gone).
 * @public
 */
export interface LeaseOptions {
  /** Milliseconds between heartbeats. Default {@link DEFAULT_LEASE_BEAT_MS}. */
  readonly beatIntervalMs?: number
  /** Milliseconds without a beat after which the lease is stale. Default {@link DEFAULT_LEASE_STALE_MS}. */
  readonly staleAfterMs?: number
}

/**
 * Default heartbeat interval: 5 s.
 * @public
 */
export const DEFAULT_LEASE_BEAT_MS = 5_000

/**
 * Default stale-after time: 30 s, six missed beats, so a busy event loop or a slow store does not
 * lose a live holder its lease.
 * @public
 */
export const DEFAULT_LEASE_STALE_MS = 30_000
