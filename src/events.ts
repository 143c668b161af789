/**
 * The one typed event map. Names are `noun:verb`; each payload is one readonly object. Errors reach
 * callers as rejected promises; the `error` event is informational only.
 */
import type { PgferryError } from './errors.js'
import type { TaskState } from './task/task-state.js'

/** @public */
export interface StageStartEvent {
  readonly taskId: string
  readonly stage: string
}
/** @public */
export interface StageDoneEvent {
  readonly taskId: string
  readonly stage: string
  readonly durationMs: number
}
/** @public */
export interface StateChangeEvent {
  readonly taskId: string
  readonly from: TaskState
  readonly to: TaskState
}
/** @public */
export interface WarningEvent {
  readonly taskId: string
  readonly code: string
  readonly message: string
  /** The object the warning is about, e.g. `db.schema.table`. */
  readonly object?: string
  readonly stage?: string
}
/** @public */
export interface ErrorEvent {
  readonly taskId: string
  readonly stage?: string
  readonly error: PgferryError
}
/** @public */
export interface PrecheckItemEvent {
  readonly taskId: string
  readonly id: string
  readonly status: 'pass' | 'warn' | 'fail' | 'skipped'
  readonly message: string
  /** The fix (SQL or setting), for a warn or fail. */
  readonly fix?: string
}
/** @public */
export interface SchemaObjectEvent {
  readonly taskId: string
  readonly database: string
  readonly kind: string
  /** Qualified, human-readable name of the object. */
  readonly name: string
  readonly phase: 'pre-data' | 'post-data'
}
/** @public */
export interface SchemaDoneEvent {
  readonly taskId: string
  readonly phase: 'pre-data' | 'post-data' | 'all'
  /** Objects created, per kind. */
  readonly counts: Readonly<Record<string, number>>
  readonly skipped: number
}
/** @public */
export interface TableStartEvent {
  readonly taskId: string
  readonly database: string
  readonly table: string
  readonly chunks: number
}
/** @public */
export interface ChunkProgressEvent {
  readonly taskId: string
  readonly database: string
  readonly table: string
  readonly chunk: string
  readonly rows: number
  readonly bytes: number
  readonly done: boolean
}
/** @public */
export interface TableCopiedEvent {
  readonly taskId: string
  readonly database: string
  readonly table: string
  readonly rows: number
  readonly bytes: number
  readonly durationMs: number
}
/** @public */
export interface LoadProgressEvent {
  readonly taskId: string
  readonly tablesDone: number
  readonly tablesTotal: number
  readonly bytesDone: number
  readonly bytesTotal: number
  /** 0–100. */
  readonly percent: number
  /** Estimated seconds left, when it can be estimated. */
  readonly etaSeconds: number | undefined
}
/** @public */
export interface WalLagEvent {
  readonly taskId: string
  readonly database: string
  /** Bytes of WAL written on the source and not yet applied on the target. */
  readonly lagBytes: bigint
  /** Seconds between the last applied commit and now, 0 when idle and caught up. */
  readonly lagSeconds: number
  readonly receivedLsn: string
  readonly appliedLsn: string
}
/**
 * The WAL a task's replication slot holds back on the source
 * (`pg_current_wal_lsn() - restart_lsn`), sent with every lag sample.
 * @public
 */
export interface WalRetainedEvent {
  readonly taskId: string
  readonly database: string
  readonly slot: string
  readonly retainedBytes: bigint
  /** Above this, a `PGFERRY_WAL_RETAINED_HIGH` warning is given (`walRetainedWarnBytes`). */
  readonly thresholdBytes: bigint
  /** v13+: `reserved`, `extended` or `unreserved` (a `lost` slot fails the sync instead). */
  readonly walStatus?: string
  /** v13+, when `max_slot_wal_keep_size` is set: WAL that may still be written before the slot is lost. */
  readonly safeWalSize?: bigint
}
/** @public */
export interface ApplyBatchEvent {
  readonly taskId: string
  readonly database: string
  readonly transactions: number
  readonly rows: number
  readonly commitLsn: string
  readonly durationMs: number
}

/**
 * Every event a task emits, by name.
 * @public
 */
export interface PgferryEvents {
  'stage:start': StageStartEvent
  'stage:done': StageDoneEvent
  'task:state': StateChangeEvent
  'precheck:item': PrecheckItemEvent
  'schema:object': SchemaObjectEvent
  'schema:done': SchemaDoneEvent
  'table:start': TableStartEvent
  'chunk:progress': ChunkProgressEvent
  'table:copied': TableCopiedEvent
  'load:progress': LoadProgressEvent
  'wal:lag': WalLagEvent
  'wal:retained': WalRetainedEvent
  'apply:batch': ApplyBatchEvent
  warning: WarningEvent
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
