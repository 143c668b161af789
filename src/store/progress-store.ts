/**
 * The progress store contract (DESIGN.md §5). The store is what makes every stage resumable and
 * what `listTasks()` reads. Progress entries are generic (`kind` + `key` → JSON value) so each stage
 * keeps what it needs (per-object DDL done, per-chunk copy done, apply LSN) without the store
 * knowing the stage; a stage that needs atomicity with its own target writes (a COPY chunk and its
 * "done" row) writes the entry itself in its transaction, in the table `progressTable()` names.
 */
import type { TaskState } from '../task/task-state.js'

/**
 * A task as the store keeps it. `config` is the serialised config: no password, no stages.
 * @public
 */
export interface TaskRecord {
  readonly id: string
  readonly name: string
  readonly type: string
  readonly state: TaskState
  readonly config: Readonly<Record<string, unknown>>
  readonly tags: Readonly<Record<string, string>>
  /** The stage the task is in or last ran. */
  readonly stage: string | undefined
  /** Message of the last failure, redacted. */
  readonly error: string | undefined
  /** Precheck items the caller chose to skip. */
  readonly skippedChecks: readonly string[]
  readonly createdAt: Date
  readonly updatedAt: Date
}

/**
 * One unit of recorded progress.
 * @public
 */
export interface ProgressEntry {
  /** What kind of progress, e.g. `schema`, `chunk`, `apply`. */
  readonly kind: string
  /** Unique within the kind, e.g. `db.schema.table#3`. */
  readonly key: string
  readonly value: unknown
}

/**
 * An event worth keeping (warnings, state changes, failures).
 * @public
 */
export interface StoredEvent {
  readonly at: Date
  readonly name: string
  readonly payload: Readonly<Record<string, unknown>>
}

/**
 * A patch of a task record.
 * @public
 */
export interface TaskPatch {
  readonly state?: TaskState
  readonly stage?: string | undefined
  readonly error?: string | undefined
  readonly skippedChecks?: readonly string[]
}

/**
 * Where task progress lives. pgferry ships a PostgreSQL store (a `pgferry` schema in the target)
 * and an in-memory one; callers may supply their own.
 * @public
 */
export interface ProgressStore {
  /** Create what the store needs (idempotent). */
  init(): Promise<void>
  /** Insert a new task; rejects with `PGFERRY_TASK_EXISTS` if the id is taken. */
  saveTask(record: TaskRecord): Promise<void>
  loadTask(id: string): Promise<TaskRecord | undefined>
  listTasks(): Promise<TaskRecord[]>
  /**
   * Update a task. With `expectState`, only when the stored state is that one (compare-and-set, so
   * two processes cannot both move a task); returns whether the update happened.
   */
  updateTask(id: string, patch: TaskPatch, expectState?: TaskState): Promise<boolean>
  /** Remove the task with all its progress and events. */
  deleteTask(id: string): Promise<void>
  getProgress(taskId: string, kind: string): Promise<ProgressEntry[]>
  /** Upsert entries (same kind + key replaces). */
  putProgress(taskId: string, entries: readonly ProgressEntry[]): Promise<void>
  deleteProgress(taskId: string, kind: string, key?: string): Promise<void>
  appendEvent(taskId: string, event: StoredEvent): Promise<void>
  listEvents(taskId: string): Promise<StoredEvent[]>
  /** Release connections. */
  close(): Promise<void>
}
