/**
 * The Stage contract, as the public API has it. Built-in stages and a caller's custom stages share
 * it: every stage names the stage it follows (`after`), declares how the runner treats it (`kind`,
 * `state`) and receives the same context. The runner (stage/runner.ts) reads only these members,
 * never a stage's name.
 *
 * The connections a stage opens are typed structurally ({@link StageClient}), as kysely types its
 * `PostgresPool`: the public types name no class of the `pg` package, so a `pg` upgrade cannot
 * change them. pgferry's own stages see the same context with the full `pg.Client` (stage.ts).
 */
import type { EmitFn } from './events.js'
import type { PgferryError } from '../errors.js'
import type { ResolvedTaskConfig } from './resolved-config.js'
import type { ProgressStore } from './progress-store.js'
import type { TaskState } from './task-state.js'

/**
 * Options every long call takes.
 * @public
 */
export interface StageCallOptions {
  /** Aborting stops the stage promptly; the task becomes `paused` and can resume. */
  readonly signal?: AbortSignal
  /**
   * Take the task's lease even while another process holds it (that process is gone, though its
   * lease has not gone stale yet). Without it a call on a task another process runs is refused
   * with `PGFERRY_TASK_LEASED`. Defaults to `false`.
   */
  readonly takeover?: boolean
}

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
 * What a query on a {@link StageClient} returns.
 * @public
 */
export interface StageQueryResult<R> {
  /** The rows, each an object keyed by column name. */
  readonly rows: R[]
  /** Rows the command returned or touched, where the command reports it; `null` otherwise. */
  readonly rowCount: number | null
}

/**
 * A connection {@link StageContext.connect} opened: the members a stage may rely on (the object is
 * a `pg` client today, but only these are promised).
 * @public
 */
export interface StageClient {
  /**
   * Run one statement. `values` fill `$1`, `$2`, … (text or JSON-serialisable values); several
   * statements separated by `;` are allowed only without `values`.
   */
  query<R = Record<string, unknown>>(
    text: string,
    values?: readonly unknown[],
  ): Promise<StageQueryResult<R>>
  /** Close the connection now, rather than when the stage ends. */
  end(): Promise<void>
}

/**
 * A stage's call options when it declares none of its own: whatever the caller passed.
 * @public
 */
export type AnyStageOptions = Readonly<Record<string, unknown>>

/**
 * What every stage receives. `O` is the type of the options the stage's call takes (the built-in
 * stages' are in `StageOptions`).
 * @public
 */
export interface StageContext<O extends object = AnyStageOptions> {
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
  /** A connected client; closed automatically when the stage ends unless `keep` is set. */
  connect(side: Side, options?: ConnectOptions): Promise<StageClient>
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
  readonly options: Readonly<O>
}

/**
 * How the runner treats a stage.
 *
 * - `work` (the default): runs once; a later `run()` skips it when it finished.
 * - `gate`: a check that writes nothing, like `precheck`. It returns a {@link GateResult}; while
 *   it runs the task is `prechecking`, after it `ready` or `precheck_failed`, and a failed gate
 *   stops `run()` with `PGFERRY_TASK_PRECHECK_FAILED` (a failed gate is not recorded as done, so
 *   the next run checks again). Stages that are not gates refuse to run before the gates passed.
 *   Once a stage that is not a gate has run, a gate is a read-only report that leaves the state.
 * - `stream`: starts long-running work and returns a handle to it, like `incremental`. Every
 *   `run()` calls it again, finished or not: the work lives in the process that started it. A
 *   handle with a `done` promise keeps the task's lease held until it settles.
 * - `cutover`: the switch to the target, like `complete`. `run()` stops before the first one;
 *   `task.complete()` runs it and every stage after it. Once one has begun, `run()` finishes them
 *   (the sync cannot resume under a half-done cutover).
 * @public
 */
export type StageKind = (typeof STAGE_KINDS)[number]

/**
 * Every {@link StageKind}.
 * @public
 */
export const STAGE_KINDS = ['work', 'gate', 'stream', 'cutover'] as const

/**
 * What a `gate` stage returns.
 * @public
 */
export interface GateResult {
  /** Whether the gate passed. */
  readonly ok: boolean
  /** The checks it made; the ids of the failed ones name the failure of `run()`. */
  readonly items?: readonly { readonly id: string; readonly status: string }[]
}

/**
 * The task states a stage may put the task in while it runs (`prechecking` is a gate's).
 * @public
 */
export type StageState = (typeof STAGE_STATES)[number]

/**
 * Every {@link StageState}.
 * @public
 */
export const STAGE_STATES = [
  'running_structure',
  'running_full_load',
  'incremental_sync',
  'completing',
] as const satisfies readonly TaskState[]

/**
 * A unit of work in a task's pipeline. `R` is what it returns, `O` the options its call takes.
 * @public
 */
export interface Stage<R = unknown, O extends object = AnyStageOptions> {
  /** Unique within the task. */
  readonly name: string
  /**
   * Name of the stage this one runs after (right after it, and after the stages already attached
   * to it). Defaults to the end of the pipeline. A stage after one the task's type does not run is
   * left out.
   */
  readonly after?: string
  /** How the runner treats it; see {@link StageKind}. Defaults to `work`. */
  readonly kind?: StageKind
  /**
   * The task's state while it runs. Defaults to the state of the closest stage before it that
   * declares one, so a custom stage runs within the phase it follows (a stage that follows only
   * gates leaves the state as it is). Ignored for a gate, which runs in `prechecking`.
   */
  readonly state?: StageState
  /**
   * Check the call's options before the task moves, throwing a PgferryError on an invalid one
   * (`PGFERRY_OPTIONS_INVALID`, or a code of the stage's own): the call rejects and the task stays
   * as it was, since a caller's mistake must not fail the task.
   */
  checkOptions?(options: Readonly<O>): void
  /** Do the work. Must honour `ctx.signal`. The return value is kept for later stages. */
  run(ctx: StageContext<O>): Promise<R>
  /** Undo what the stage left on the servers (slots, publications) when the task is deleted. */
  cleanup?(ctx: StageContext<O>): Promise<void>
}
