/**
 * The one typed event map. Names are `noun:verb`; each payload is one readonly object. Errors reach
 * callers as rejected promises; the `error` event is informational only.
 */
import type { WorkerJobEvent } from './workers.js'
import type { PgferryError } from '../errors.js'
import type { TaskState } from './task-state.js'
import type { VerifyDifferenceEvent, VerifyProgressEvent } from './verify-events.js'
import type { TaskPausedEvent } from './pause-events.js'

export type { VerifyDifferenceEvent, VerifyProgressEvent } from './verify-events.js'
export type { TaskPausedEvent } from './pause-events.js'

/**
 * Payload of `stage:start`: a stage (built-in or custom) is about to run.
 * @public
 */
export interface StageStartEvent {
  /** The task that emitted the event. */
  readonly taskId: string
  /**
   * The stage's name (`precheck`, `schema`, `fullload`, `incremental`, `complete`, or a custom
   * stage's).
   */
  readonly stage: string
}
/**
 * Payload of `stage:done`: a stage returned without error.
 * @public
 */
export interface StageDoneEvent {
  /** The task that emitted the event. */
  readonly taskId: string
  /** The stage's name. */
  readonly stage: string
  /** Wall-clock time of the stage's `run`, in milliseconds. */
  readonly durationMs: number
}
/**
 * Payload of `task:state`: the task's stored state changed.
 * @public
 */
export interface StateChangeEvent {
  /** The task that emitted the event. */
  readonly taskId: string
  /** The state before the change. */
  readonly from: TaskState
  /** The state after the change (never equal to `from`). */
  readonly to: TaskState
}
/**
 * Payload of `warning`: something the caller should know that does not stop the stage.
 * @public
 */
export interface WarningEvent {
  /** The task that emitted the event. */
  readonly taskId: string
  /** What the warning is about, e.g. `PGFERRY_WAL_RETAINED_HIGH` or `PGFERRY_SCHEMA_OBJECT_EXISTS`. */
  readonly code: string
  /** Human-readable text. */
  readonly message: string
  /**
   * The object the warning is about, e.g. `db.schema.table`; absent when it is about no one object.
   */
  readonly object?: string
  /** The stage that gave the warning. */
  readonly stage?: string
}
/**
 * Payload of `error`: a stage failed (or a running sync failed). Informational: the error also
 * rejects the call that ran the stage.
 * @public
 */
export interface ErrorEvent {
  /** The task that emitted the event. */
  readonly taskId: string
  /** The stage that failed. */
  readonly stage?: string
  /** The error, as the rejected promise carries it. */
  readonly error: PgferryError
}
/**
 * Payload of `precheck:item`: one item's outcome, for every item once all ran, in ID order.
 * @public
 */
export interface PrecheckItemEvent {
  /** The task that emitted the event. */
  readonly taskId: string
  /** The item's id, one of `PRECHECK_ITEM_IDS`. */
  readonly id: string
  /** The outcome; `skipped` when the caller skipped a non-passing item. */
  readonly status: 'pass' | 'warn' | 'fail' | 'skipped'
  /** What was found. */
  readonly message: string
  /** The fix (SQL or setting), for a warn or fail; `cliFix` in the `pgferry` command line's words. */
  readonly fix?: string
  /** See `fix`: present where `fix` names a library call. */
  readonly cliFix?: string
}
/**
 * Payload of `schema:object`: one object was created on the target (pre-data by `migrateSchema`,
 * post-data by `fullLoad`).
 * @public
 */
export interface SchemaObjectEvent {
  /** The task that emitted the event. */
  readonly taskId: string
  /** The target database; `''` for instance-wide objects (roles). */
  readonly database: string
  /** The object's kind, e.g. `table`, `index`, `constraint`, `role`. */
  readonly kind: string
  /** Qualified, human-readable name of the object. */
  readonly name: string
  /** `pre-data` before the data is loaded, `post-data` (indexes, keys, triggers …) after. */
  readonly phase: 'pre-data' | 'post-data'
}
/**
 * Payload of `schema:done`: `migrateSchema` finished.
 * @public
 */
export interface SchemaDoneEvent {
  /** The task that emitted the event. */
  readonly taskId: string
  /** `all` for a `structure` task (post-data included), else `pre-data`. */
  readonly phase: 'pre-data' | 'post-data' | 'all'
  /** Objects created, per kind. */
  readonly counts: Readonly<Record<string, number>>
  /** Objects skipped because an earlier run had already created them. */
  readonly skipped: number
}
/**
 * Payload of `table:start`: the full load began copying a table (its first chunk started).
 * @public
 */
export interface TableStartEvent {
  /** The task that emitted the event. */
  readonly taskId: string
  /** The source database. */
  readonly database: string
  /** The source table, `schema.name`. */
  readonly table: string
  /** How many chunks the table is copied in (1 when it is not split). */
  readonly chunks: number
}
/**
 * Payload of `chunk:progress`: a chunk of a table is being copied (every 32 MiB relayed)
 * or has committed (`done`).
 * @public
 */
export interface ChunkProgressEvent {
  /** The task that emitted the event. */
  readonly taskId: string
  /** The source database. */
  readonly database: string
  /** The source table, `schema.name`. */
  readonly table: string
  /** The chunk, as `index/count` counting from 1, e.g. `3/8`. */
  readonly chunk: string
  /** Rows the chunk copied; 0 until `done` (rows are known only when the chunk commits). */
  readonly rows: number
  /** COPY bytes relayed so far (or in all, when `done`). */
  readonly bytes: number
  /** True once the chunk and its done row committed on the target. */
  readonly done: boolean
  /** With workers (issue 15), in the worker's events: the worker's id; absent in-process. */
  readonly worker?: string
  /** With workers: the worker's host. */
  readonly host?: string
  /** With workers: the worker's process id. */
  readonly pid?: number
}
/**
 * Payload of `table:copied`: every chunk of a table committed on the target.
 * @public
 */
export interface TableCopiedEvent {
  /** The task that emitted the event. */
  readonly taskId: string
  /** The source database. */
  readonly database: string
  /** The source table, `schema.name`. */
  readonly table: string
  /** Rows copied in this run. */
  readonly rows: number
  /** COPY bytes relayed in this run. */
  readonly bytes: number
  /** Milliseconds from the table's first chunk starting to its last committing. */
  readonly durationMs: number
}
/**
 * Payload of `load:progress`: the whole full load's progress, while a chunk is in flight (with each
 * `chunk:progress`), after every chunk that lands, and after every post-data step.
 * @public
 */
export interface LoadProgressEvent {
  /** The task that emitted the event. */
  readonly taskId: string
  /** Tables whose every chunk has landed, earlier runs' included. */
  readonly tablesDone: number
  /** Tables the load copies. */
  readonly tablesTotal: number
  /**
   * Bytes of source size done (a chunk counts as its share of its table's size, a chunk in flight
   * as the COPY bytes it relayed so far, up to 95 % of that share), tables finished by earlier runs
   * included.
   */
  readonly bytesDone: number
  /** The tables' source size in bytes (`pg_total_relation_size`). */
  readonly bytesTotal: number
  /** 0–100, of bytes. */
  readonly percent: number
  /**
   * Estimated seconds left of the copy at this run's rate; undefined until this run has copied
   * something, and once every table's data is in (the post-data steps have no estimate).
   */
  readonly etaSeconds: number | undefined
  /**
   * Post-data steps (indexes, keys, constraints, triggers) done, earlier runs' included, of the
   * databases whose load has started.
   */
  readonly postDataDone: number
  /** Post-data steps planned in the databases whose load has started. */
  readonly postDataTotal: number
}
/**
 * Payload of `wal:lag`: one source database's lag, sampled every `lagIntervalMs` (default 1 s)
 * while the incremental sync runs.
 *
 * Byte counts in every event are `number`, not `bigint`, so that every payload goes through
 * `JSON.stringify` (loggers, metrics exporters, `--json` output) as it is: a number holds byte
 * counts exactly up to 2^53 (8 PiB), far beyond any WAL distance a sync can have.
 * @public
 */
export interface WalLagEvent {
  /** The task that emitted the event. */
  readonly taskId: string
  /** The source database. */
  readonly database: string
  /** Bytes of WAL written on the source and not yet applied on the target. */
  readonly lagBytes: number
  /** Seconds between the last applied commit and now, 0 when idle and caught up. */
  readonly lagSeconds: number
  /** The end of the WAL received from the source, as LSN text (`0/16B3748`). */
  readonly receivedLsn: string
  /** The end of the last source transaction committed on the target, as LSN text. */
  readonly appliedLsn: string
}
/**
 * The WAL a task's replication slot holds back on the source
 * (`pg_current_wal_lsn() - restart_lsn`), sent with every lag sample. Bytes as `number`, as in
 * {@link WalLagEvent}.
 * @public
 */
export interface WalRetainedEvent {
  /** The task that emitted the event. */
  readonly taskId: string
  /** The source database. */
  readonly database: string
  /** The replication slot's name. */
  readonly slot: string
  /** Bytes of WAL the slot holds back: `pg_current_wal_lsn() - restart_lsn`. */
  readonly retainedBytes: number
  /** Above this, a `PGFERRY_WAL_RETAINED_HIGH` warning is given (`walRetainedWarnBytes`). */
  readonly thresholdBytes: number
  /** v13+: `reserved`, `extended` or `unreserved` (a `lost` slot fails the sync instead). */
  readonly walStatus?: string
  /** v13+, when `max_slot_wal_keep_size` is set: WAL that may still be written before the slot is lost. */
  readonly safeWalSize?: number
}
/**
 * Payload of `apply:batch`: one target transaction of the incremental apply committed (with its
 * progress) and was confirmed to the source.
 * @public
 */
export interface ApplyBatchEvent {
  /** The task that emitted the event. */
  readonly taskId: string
  /** The source database. */
  readonly database: string
  /** Source transactions the batch applied. */
  readonly transactions: number
  /** Rows the batch changed. */
  readonly rows: number
  /**
   * The end LSN (LSN text) of the last source transaction in the batch, now confirmed to the
   * source.
   */
  readonly commitLsn: string
  /** Milliseconds the batch took, from its first change to its commit. */
  readonly durationMs: number
}

/**
 * Every event a task emits, by name.
 * @public
 */
export interface PgferryEvents {
  /** The runner, before any stage (built-in or custom) runs. */
  'stage:start': StageStartEvent
  /** The runner, after a stage returned (a failed precheck included: it returns a report). */
  'stage:done': StageDoneEvent
  /** The task, whenever its stored state changes (e.g. `ready` → `loading`). */
  'task:state': StateChangeEvent
  /** The runner when a stage call is aborted, or the task when a pause request stops its sync. */
  'task:paused': TaskPausedEvent
  /** `precheck`, once per item after every item ran. */
  'precheck:item': PrecheckItemEvent
  /** `migrateSchema` for each pre-data object it creates; `fullLoad` for each post-data step. */
  'schema:object': SchemaObjectEvent
  /** `migrateSchema`, once at its end. */
  'schema:done': SchemaDoneEvent
  /** `fullLoad`, when a table's first chunk starts in this run. */
  'table:start': TableStartEvent
  /** `fullLoad` with workers: a worker claimed a job, or finished it. */
  'worker:job': WorkerJobEvent
  /** `fullLoad`, while a chunk streams (bytes so far) and when it commits (`done`). */
  'chunk:progress': ChunkProgressEvent
  /** `fullLoad`, when a table's last chunk commits. */
  'table:copied': TableCopiedEvent
  /** `fullLoad`, after every chunk that commits: the whole load's percent and ETA. */
  'load:progress': LoadProgressEvent
  /** The incremental sync, per database every `lagIntervalMs`. */
  'wal:lag': WalLagEvent
  /** The incremental sync, with every lag sample while the slot exists. */
  'wal:retained': WalRetainedEvent
  /** The incremental sync, after each target transaction commits and is confirmed. */
  'apply:batch': ApplyBatchEvent
  /** `verify` and `complete`'s check, as chunks are hashed. */
  'verify:progress': VerifyProgressEvent
  /** `verify` and `complete`'s check, for each row that differs. */
  'verify:difference': VerifyDifferenceEvent
  /** Any stage, through `ctx.warn`: something to know that does not stop the stage. */
  warning: WarningEvent
  /** The runner when a stage fails (not aborted: `task:paused`), or a background sync fails. */
  error: ErrorEvent
}

/**
 * Listener signatures for eventemitter3's typed generics: one payload argument per event.
 * @public
 */
export type PgferryListeners = {
  [K in keyof PgferryEvents]: (event: PgferryEvents[K]) => void
}

/**
 * The emit function handed to stages.
 * @public
 */
export type EmitFn = <K extends keyof PgferryEvents>(name: K, event: PgferryEvents[K]) => void
