/**
 * The Stage contract. Built-in stages and a caller's custom stages share it; custom stages name the
 * stage they follow (`after`) and receive the same context the built-ins do.
 */
import type pg from 'pg'
import type { EmitFn } from './events.js'
import type { PgferryError } from '../errors.js'
import type { ResolvedTaskConfig } from './resolved-config.js'
import type { ProgressStore } from './progress-store.js'

/**
 * Which server a connection goes to.
 * @public
 */
export type Side = 'source' | 'target'

/**
 * Options for {@link StageContext.connect}.
 * @public
 */
export interface ConnectOptions {
  /** Database to connect to. Defaults to the one in the task's connection config. */
  readonly database?: string
  /** `'database'` opens a logical replication connection. Defaults to a normal connection. */
  readonly replication?: 'database'
  /** Keep the connection after the stage ends (closed by `task.close()`). Defaults to `false`. */
  readonly keep?: boolean
}

/**
 * What every stage receives.
 * @public
 */
export interface StageContext {
  /** The task's id. */
  readonly taskId: string
  /** The stage being run. */
  readonly stage: string
  /** The task's resolved, frozen config. */
  readonly config: ResolvedTaskConfig
  /** The task's progress store: a stage records here what lets it resume. */
  readonly store: ProgressStore
  /** Aborted when the caller aborts, or the task is closed. Stages must stop promptly. */
  readonly signal: AbortSignal
  /** Emit a typed event on the task (see `PgferryEvents`). */
  readonly emit: EmitFn
  /** A connected `pg` client; closed automatically when the stage ends unless `keep` is set. */
  connect(side: Side, options?: ConnectOptions): Promise<pg.Client>
  /** Emit a `warning` event and keep it in the store's event log. */
  warn(code: string, message: string, object?: string): void
  /** The value returned by an earlier stage of this run, by stage name. */
  result(stage: string): unknown
  /**
   * Report the failure of work that outlives the stage call (the incremental stream): emits
   * `error` and moves the task to `failed` (in the store and in this process's Task object).
   */
  fail(error: PgferryError): Promise<void>
  /** The options the caller passed to this stage's call (e.g. precheck's `skip`). */
  readonly options: Readonly<Record<string, unknown>>
}

/**
 * A unit of work in a task's pipeline.
 * @public
 */
export interface Stage<R = unknown> {
  /** Unique within the task. */
  readonly name: string
  /** Name of the stage this one runs after. Defaults to the end of the pipeline. */
  readonly after?: string
  /** Do the work. Must honour `ctx.signal`. The return value is kept for later stages. */
  run(ctx: StageContext): Promise<R>
  /** Undo what the stage left on the servers (slots, publications) when the task is deleted. */
  cleanup?(ctx: StageContext): Promise<void>
}
