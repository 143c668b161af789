/**
 * The progress store contract (ARCHITECTURE.md). The store is what makes every stage resumable and
 * what `listTasks()` reads. Progress entries are generic (`kind` + `key` → JSON value) so each stage
 * keeps what it needs (per-object DDL done, per-chunk copy done, apply LSN) without the store
 * knowing the stage. What must commit atomically with the stage's own target writes (a COPY chunk
 * and its "done" row, the apply's position) is not here: it is the task's target ledger, in the
 * target database (target-ledger.ts), in a schema named as this store's (`schemaName`).
 */
import type { LeaseAcquireOptions, LeaseAcquireResult, LeaseClaim, TaskLease } from './lease.js'
import type { TaskState } from './task-state.js'

/**
 * A task as the store keeps it. `config` is the serialised config: no password, no stages.
 * @public
 */
export interface TaskRecord {
  /** The task's id. */
  readonly id: string
  /** The task's human-readable name. */
  readonly name: string
  /** The migration type (`structure`, `full` or `full+incremental`). */
  readonly type: string
  /** The task's state, as its last transition left it. */
  readonly state: TaskState
  /** The resolved config as JSON, enough to reopen the task (passwords and stages left out). */
  readonly config: Readonly<Record<string, unknown>>
  /** The caller's labels. */
  readonly tags: Readonly<Record<string, string>>
  /** The stage the task is in or last ran. */
  readonly stage: string | undefined
  /** Message of the last failure, redacted. */
  readonly error: string | undefined
  /** Precheck items the caller chose to skip. */
  readonly skippedChecks: readonly string[]
  /** When the task was created. */
  readonly createdAt: Date
  /** When the record last changed. */
  readonly updatedAt: Date
}

/**
 * One unit of recorded progress.
 * @public
 */
export interface ProgressEntry {
  /**
   * What kind of progress, e.g. `schema-done`, `fullload-table` (pgferry's own kinds are listed in
   * `PROGRESS_KINDS`, src/model/progress-kinds.ts; a custom stage picks its own).
   */
  readonly kind: string
  /** Unique within the kind, e.g. `db.schema.table#3`. */
  readonly key: string
  /**
   * The stage's own JSON-serialisable record (e.g. `{ doneAt }`, a chunk's rows); the store does
   * not read it.
   */
  readonly value: unknown
}

/**
 * An event worth keeping (warnings, state changes, failures).
 * @public
 */
export interface StoredEvent {
  /** When it was emitted. */
  readonly at: Date
  /** The event's name: `warning`, `error`, `task:state` or `stage:done`. */
  readonly name: string
  /** The event's payload as emitted; for `error`, the error serialised to plain JSON. */
  readonly payload: Readonly<Record<string, unknown>>
}

/**
 * A patch of a task record.
 * @public
 */
export interface TaskPatch {
  /** The new state; absent: unchanged. */
  readonly state?: TaskState
  /** The stage the task is in; `undefined` clears it, absent leaves it. */
  readonly stage?: string | undefined
  /** The last failure's message, redacted; `undefined` clears it, absent leaves it. */
  readonly error?: string | undefined
  /** Precheck items the caller skipped; absent: unchanged. */
  readonly skippedChecks?: readonly string[]
}

/**
 * Where task progress lives. pgferry ships a PostgreSQL store (a `pgferry` schema in the target)
 * and an in-memory one; callers may supply their own.
 * @public
 */
export interface ProgressStore {
  /**
   * The PostgreSQL schema this store keeps its tables in, when it keeps them in one (a
   * {@link PgStore}'s). A task's target ledger (the rows that must commit with the copied data,
   * in each target database) lives in a schema of this name; a store that names none (the memory
   * store) leaves it at `pgferry`.
   */
  readonly schemaName?: string
  /**
   * Create what the store needs (idempotent). Reads (`loadTask`, `listTasks`, `getProgress`,
   * `listEvents`, `getLease`) of a store never created return nothing and create nothing.
   */
  init(): Promise<void>
  /** Insert a new task; rejects with `PGFERRY_TASK_EXISTS` if the id is taken. */
  saveTask(record: TaskRecord): Promise<void>
  /** The task with this id, or undefined when there is none. */
  loadTask(id: string): Promise<TaskRecord | undefined>
  /** Every task, oldest first. */
  listTasks(): Promise<TaskRecord[]>
  /**
   * Update a task. With `expectState`, only when the stored state is that one (compare-and-set, so
   * two processes cannot both move a task); returns whether the update happened.
   */
  updateTask(id: string, patch: TaskPatch, expectState?: TaskState): Promise<boolean>
  /** Remove the task with all its progress and events. */
  deleteTask(id: string): Promise<void>
  /** A task's entries of one kind, ordered by key; empty when there are none. */
  getProgress(taskId: string, kind: string): Promise<ProgressEntry[]>
  /** Upsert entries (same kind + key replaces). */
  putProgress(taskId: string, entries: readonly ProgressEntry[]): Promise<void>
  /** Remove a task's entries of one kind, or only the one with `key` when given. */
  deleteProgress(taskId: string, kind: string, key?: string): Promise<void>
  /** Keep an event of a task. */
  appendEvent(taskId: string, event: StoredEvent): Promise<void>
  /** A task's kept events, in the order they were appended. */
  listEvents(taskId: string): Promise<StoredEvent[]>
  /**
   * Take task `taskId`'s lease for `claim`: when no one holds it, when `claim.token` already does,
   * when the holder's last beat is older than `options.staleAfterMs` (by the store's clock), or when
   * `options.replace` is the holder's token. Otherwise returns who holds it. Atomic: of two
   * processes claiming at once, one wins.
   */
  acquireLease(
    taskId: string,
    claim: LeaseClaim,
    options: LeaseAcquireOptions,
  ): Promise<LeaseAcquireResult>
  /**
   * Record a heartbeat of `token`'s lease, with the holder's live figures when given (kept until
   * the next beat that gives some); false when `token` no longer holds it (taken over).
   */
  renewLease(
    taskId: string,
    token: string,
    live?: Readonly<Record<string, unknown>>,
  ): Promise<boolean>
  /** Drop the lease if `token` holds it. */
  releaseLease(taskId: string, token: string): Promise<void>
  /** The task's lease, live or stale, or undefined when no one holds it. */
  getLease(taskId: string): Promise<TaskLease | undefined>
  /** Release connections. */
  close(): Promise<void>
}
