/**
 * A migration task: its frozen config, its state (kept in the store), its events, and the stage
 * calls. Every stage call is idempotent and resumes from the store; a call made while the same
 * stage runs shares the in-flight promise (pg-boss's lifecycle rule).
 */
import { EventEmitter } from 'eventemitter3'
import type pg from 'pg'
import { PgferryError } from '../errors.js'
import type { EmitFn, PgferryEvents, PgferryListeners } from '../model/events.js'
import { openClient } from '../pg/connect.js'
import type { ProgressStore } from '../model/progress-store.js'
import { BUILTIN_STAGE_NAMES, type BuiltinStageName } from '../stage/builtin-stage-names.js'
import { BUILTIN_STAGES } from '../stage/builtin-stages.js'
import { STAGES_BY_TYPE, buildPipeline } from '../stage/pipeline.js'
import type { ConnectOptions, Side, Stage, StageContext } from '../model/stage.js'
import type { PrecheckOptions, PrecheckReport } from '../precheck/precheck-report.js'
import type { SchemaResult } from '../schema/schema-result.js'
import type { FullLoadResult } from '../fullload/full-load-result.js'
import type { IncrementalSync } from '../apply/incremental-sync.js'
import type { IncrementalOptions } from '../apply/apply-options.js'
import type { FullLoadOptions } from '../fullload/full-load-stage.js'
import type { CompleteOptions, CompleteResult } from '../complete/complete-result.js'
import type { ResolvedTaskConfig } from '../model/resolved-config.js'
import { assertTransition } from './assert-transition.js'
import { canTransition, type TaskState } from '../model/task-state.js'
import { serializeError, wrapStageError } from '../stage/wrap-stage-error.js'
import { waitUntil } from './wait-until.js'

/**
 * Options every long call takes.
 * @public
 */
export interface StageCallOptions {
  /** Aborting stops the stage promptly; the task becomes `paused` and can resume. */
  readonly signal?: AbortSignal
}

/**
 * What `task.run()` returns.
 * @public
 */
export interface RunResult {
  /** The task's state when the run returned (e.g. `incremental_sync`, `completed`). */
  readonly state: TaskState
  /** The value each stage returned in this run, by stage name. */
  readonly results: Readonly<Record<string, unknown>>
}

/** The state a built-in stage puts the task in while it runs. */
const RUNNING_STATE: Readonly<Record<BuiltinStageName, TaskState>> = {
  precheck: 'prechecking',
  schema: 'running_structure',
  fullload: 'running_full_load',
  incremental: 'incremental_sync',
  complete: 'completing',
}

/** The built-in stage whose success completes a task of each type. */
const FINAL_STAGE = {
  structure: 'schema',
  full: 'fullload',
  'full+incremental': 'complete',
} as const

const isBuiltin = (name: string): name is BuiltinStageName =>
  (BUILTIN_STAGE_NAMES as readonly string[]).includes(name)

/** Kept events: what an operator wants to read back later. */
const KEPT_EVENTS = new Set<keyof PgferryEvents>(['warning', 'error', 'task:state', 'stage:done'])

/**
 * A migration task. Create with `createTask`, reopen with `openTask`.
 * @public
 */
export class Task extends EventEmitter<PgferryListeners> {
  /** The task's id (`config.id`), the key to reopen it with `openTask`. */
  readonly id: string
  /** The task's resolved, frozen config. */
  readonly config: ResolvedTaskConfig
  readonly #store: ProgressStore
  readonly #ownsStore: boolean
  #state: TaskState
  #closed = false
  readonly #closing = new AbortController()
  #running: { stage: string; promise: Promise<unknown> } | undefined
  readonly #kept = new Set<pg.Client>()
  readonly #results = new Map<string, unknown>()
  #eventWrites: Promise<void> = Promise.resolve()

  /** @internal */
  constructor(
    config: ResolvedTaskConfig,
    store: ProgressStore,
    state: TaskState,
    ownsStore: boolean,
  ) {
    super()
    this.id = config.id
    this.config = config
    this.#store = store
    this.#state = state
    this.#ownsStore = ownsStore
  }

  /** The state as last seen by this process (see `refresh`). */
  get state(): TaskState {
    return this.#state
  }

  /** The progress store this task uses. */
  get store(): ProgressStore {
    return this.#store
  }

  /** Re-read the state from the store (another process may have moved the task). */
  async refresh(): Promise<TaskState> {
    const r = await this.#store.loadTask(this.id)
    if (r === undefined)
      throw new PgferryError(
        'PGFERRY_TASK_NOT_FOUND',
        `task ${this.id} is no longer in the store (deleted?)`,
      )
    this.#state = r.state
    return r.state
  }

  /** Check source and target without writing anything. Never throws for a failing check. */
  precheck(options: PrecheckOptions = {}): Promise<PrecheckReport> {
    return this.#call('precheck', options) as Promise<PrecheckReport>
  }

  /** Create the selected objects on the target (pre-data; for `structure` tasks, everything). */
  migrateSchema(options: StageCallOptions = {}): Promise<SchemaResult> {
    return this.#call('schema', options) as Promise<SchemaResult>
  }

  /** Copy the data as of one snapshot, then build post-data objects. */
  fullLoad(options: FullLoadOptions = {}): Promise<FullLoadResult> {
    return this.#call('fullload', options) as Promise<FullLoadResult>
  }

  /** Start streaming changes; returns at once with a handle. */
  startIncremental(options: IncrementalOptions = {}): Promise<IncrementalSync> {
    return this.#call('incremental', options) as Promise<IncrementalSync>
  }

  /** Cut over: drain, align sequences, verify, drop the slot and publication. */
  async complete(options: CompleteOptions = {}): Promise<CompleteResult> {
    const result = (await this.#call('complete', options)) as CompleteResult
    for (const stage of this.#pipeline().slice(
      this.#pipeline().findIndex((s) => s.name === 'complete') + 1,
    )) {
      await this.#call(stage.name, options)
    }
    return result
  }

  /**
   * Run the stages the task's type needs, in order, with custom stages in their place: for
   * `full+incremental`, up to and including `incremental` (the caller calls `complete`). Stages an
   * earlier run finished are skipped, so `run()` after a crash resumes. Waits for `startAt`.
   * Once a cutover has begun (the task crashed, failed or was aborted inside `complete`), `run()`
   * finishes it: the sync cannot resume under a half-done cutover, and `complete` resumes.
   */
  async run(options: StageCallOptions = {}): Promise<RunResult> {
    if (await this.#cutoverBegun()) {
      const result = await this.complete(options)
      return { state: this.#state, results: { complete: result } }
    }
    const pipeline = this.#pipeline()
    const end = pipeline.findIndex((s) => s.name === 'complete')
    const stages = end === -1 ? pipeline : pipeline.slice(0, end)
    const done = new Set((await this.#store.getProgress(this.id, 'stage')).map((e) => e.key))
    const results: Record<string, unknown> = {}
    for (const stage of stages) {
      if (done.has(stage.name) && stage.name !== 'incremental') continue
      const result = await this.#call(stage.name, options)
      results[stage.name] = result
      if (stage.name === 'precheck') {
        const report = result as PrecheckReport
        if (!report.ok) {
          const failed = report.items.filter((i) => i.status === 'fail').map((i) => i.id)
          throw new PgferryError(
            'PGFERRY_TASK_PRECHECK_FAILED',
            `precheck failed: ${failed.join(', ')}`,
            {
              fix: 'fix each failed item (report.items[].fix) and run again, or skip named items with precheck({ skip })',
            },
          )
        }
        if (this.config.startAt !== undefined)
          await waitUntil(this.config.startAt, this.#callSignal(options.signal))
      }
    }
    return { state: this.#state, results }
  }

  /**
   * The stored task last ran `complete` and is not completed: a crash leaves it `completing`, a
   * failure or an abort `failed` or `paused` with that stage recorded. A `startIncremental` since
   * records its own stage, so a caller who chose to sync again after a failed cutover still can.
   */
  async #cutoverBegun(): Promise<boolean> {
    if (this.config.type !== 'full+incremental') return false
    const r = await this.#store.loadTask(this.id)
    return r !== undefined && r.stage === 'complete' && r.state !== 'completed'
  }

  /** Release every connection. Slots stay, so the task can resume later. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#closing.abort(new PgferryError('PGFERRY_TASK_CLOSED', `task ${this.id} was closed`))
    await this.#running?.promise.catch(() => undefined)
    await Promise.all([...this.#kept].map((c) => c.end().catch(() => undefined)))
    this.#kept.clear()
    await this.#eventWrites
    if (this.#ownsStore) await this.#store.close()
  }

  /** Undo what the stages left on the servers (slots, publications), forget the task, close it. */
  async delete(): Promise<void> {
    if (this.#closed)
      throw new PgferryError('PGFERRY_TASK_CLOSED', `task ${this.id} is closed`, {
        fix: 'delete it with deleteTask(id, …)',
      })
    if (this.#running !== undefined) {
      throw new PgferryError(
        'PGFERRY_TASK_BUSY',
        `task ${this.id} is running '${this.#running.stage}'`,
        { fix: 'abort it (signal) first' },
      )
    }
    for (const stage of this.#pipeline().reverse()) {
      if (stage.cleanup === undefined) continue
      const { ctx, dispose } = this.#context(stage, {}, this.#closing.signal)
      try {
        await stage.cleanup(ctx)
      } finally {
        await dispose()
      }
    }
    await this.#store.deleteTask(this.id)
    await this.close()
  }

  /** A call's signal: the caller's, if any, and the task's own (fired by `close()`). */
  #callSignal(signal: AbortSignal | undefined): AbortSignal {
    return signal === undefined
      ? this.#closing.signal
      : AbortSignal.any([signal, this.#closing.signal])
  }

  #pipeline(): Stage[] {
    return buildPipeline(
      STAGES_BY_TYPE[this.config.type].map((n) => BUILTIN_STAGES[n]),
      this.config.stages,
    )
  }

  #emit: EmitFn = (name, event) => {
    ;(this.emit as (n: string, e: unknown) => boolean)(name, event)
    if (KEPT_EVENTS.has(name)) {
      const payload =
        name === 'error'
          ? { ...event, error: serializeError((event as PgferryEvents['error']).error) }
          : event
      const stored = {
        at: new Date(),
        name,
        payload: payload as unknown as Record<string, unknown>,
      }
      // chained: kept in emit order, and close() waits for them
      this.#eventWrites = this.#eventWrites
        .then(() => this.#store.appendEvent(this.id, stored))
        .catch(() => undefined)
    }
  }

  async #setState(
    to: TaskState,
    extra: { stage?: string | undefined; error?: string | undefined } = {},
  ): Promise<void> {
    const from = this.#state
    if (from === to && extra.stage === undefined && extra.error === undefined) return
    assertTransition(from, to, this.id)
    const ok = await this.#store.updateTask(this.id, { state: to, ...extra }, from)
    if (!ok) {
      const now = await this.refresh()
      throw new PgferryError(
        'PGFERRY_TASK_BUSY',
        `task ${this.id} was moved to '${now}' by another process`,
        {
          fix: 'only one process may run a task at a time; reopen it when the other is done',
        },
      )
    }
    this.#state = to
    if (from !== to) this.#emit('task:state', { taskId: this.id, from, to })
  }

  #call(name: string, options: StageCallOptions): Promise<unknown> {
    if (this.#closed)
      return Promise.reject(
        new PgferryError('PGFERRY_TASK_CLOSED', `task ${this.id} is closed`, {
          fix: 'reopen it with openTask(id)',
        }),
      )
    if (this.#running !== undefined) {
      if (this.#running.stage === name) return this.#running.promise
      return Promise.reject(
        new PgferryError(
          'PGFERRY_TASK_BUSY',
          `task ${this.id} is running '${this.#running.stage}'; '${name}' must wait`,
          {
            fix: 'await the running stage first',
          },
        ),
      )
    }
    const stage = this.#pipeline().find((s) => s.name === name)
    if (stage === undefined) {
      return Promise.reject(
        new PgferryError(
          'PGFERRY_STAGE_INVALID',
          `a '${this.config.type}' task has no '${name}' stage`,
          {
            fix: `the stages of this task are: ${this.#pipeline()
              .map((s) => s.name)
              .join(', ')}`,
          },
        ),
      )
    }
    const promise = this.#execute(stage, options).finally(() => {
      this.#running = undefined
    })
    this.#running = { stage: name, promise }
    return promise
  }

  async #execute(stage: Stage, options: StageCallOptions): Promise<unknown> {
    await this.refresh()
    const builtin = isBuiltin(stage.name)
    let tracksState = builtin
    if (builtin) {
      const to = RUNNING_STATE[stage.name]
      if (stage.name === 'precheck') {
        // After data is written, a precheck is a read-only report: it does not move the task (a
        // task that failed in a later stage would otherwise turn 'prechecking', lose the record of
        // its later stage, and see its own target objects as conflicts).
        const record = await this.#store.loadTask(this.id)
        const written = record?.stage !== undefined && record.stage !== 'precheck'
        tracksState = !written && canTransition(this.#state, to)
        if (tracksState) await this.#setState(to, { stage: stage.name, error: undefined })
      } else {
        if (this.#state === 'precheck_failed' || this.#state === 'created') {
          throw new PgferryError(
            'PGFERRY_TASK_PRECHECK_FAILED',
            this.#state === 'created'
              ? `task ${this.id} has not passed a precheck yet`
              : `task ${this.id} failed its precheck`,
            {
              fix: 'run precheck(task) and fix its failed items (or skip them by id) before running other stages',
            },
          )
        }
        await this.#setState(to, { stage: stage.name, error: undefined })
      }
    }
    const signal = this.#callSignal(options.signal)
    const { ctx, dispose } = this.#context(
      stage,
      options as Readonly<Record<string, unknown>>,
      signal,
    )
    const started = Date.now()
    this.#emit('stage:start', { taskId: this.id, stage: stage.name })
    try {
      signal.throwIfAborted()
      const result = await stage.run(ctx)
      signal.throwIfAborted()
      this.#results.set(stage.name, result)
      if (builtin && tracksState) await this.#afterStage(stage.name as BuiltinStageName, result)
      if (stage.name !== 'precheck' || (result as PrecheckReport).ok) {
        await this.#store.putProgress(this.id, [
          { kind: 'stage', key: stage.name, value: { doneAt: new Date().toISOString() } },
        ])
      }
      this.#emit('stage:done', {
        taskId: this.id,
        stage: stage.name,
        durationMs: Date.now() - started,
      })
      return result
    } catch (error) {
      const wrapped = wrapStageError(error, stage.name, signal, this.config.source.user)
      this.#emit('error', { taskId: this.id, stage: stage.name, error: wrapped })
      const next =
        wrapped.code === 'PGFERRY_ABORTED' && canTransition(this.#state, 'paused')
          ? 'paused'
          : 'failed'
      if (canTransition(this.#state, next) && (builtin ? tracksState : true)) {
        await this.#setState(next, { error: wrapped.message }).catch(() => undefined)
      }
      throw wrapped
    } finally {
      await dispose()
    }
  }

  async #afterStage(name: BuiltinStageName, result: unknown): Promise<void> {
    if (name === 'precheck') {
      await this.#setState((result as PrecheckReport).ok ? 'ready' : 'precheck_failed')
    } else if (FINAL_STAGE[this.config.type] === name) {
      await this.#setState('completed')
    }
  }

  #context(
    stage: Stage,
    options: Readonly<Record<string, unknown>>,
    signal: AbortSignal,
  ): { ctx: StageContext; dispose: () => Promise<void> } {
    const scoped = new Set<pg.Client>()
    const config = this.config
    const ctx: StageContext = {
      taskId: this.id,
      stage: stage.name,
      config,
      store: this.#store,
      signal,
      emit: this.#emit,
      options,
      connect: async (side: Side, opts: ConnectOptions = {}) => {
        signal.throwIfAborted()
        const client = await openClient(config[side], side, opts)
        ;(opts.keep === true ? this.#kept : scoped).add(client)
        return client
      },
      warn: (code, message, object) => {
        this.#emit('warning', {
          taskId: this.id,
          code,
          message,
          stage: stage.name,
          ...(object !== undefined ? { object } : {}),
        })
      },
      result: (name) => this.#results.get(name),
      fail: async (error) => {
        this.#emit('error', { taskId: this.id, stage: stage.name, error })
        await this.refresh().catch(() => undefined)
        if (canTransition(this.#state, 'failed')) {
          await this.#setState('failed', { error: error.message }).catch(() => undefined)
        }
      },
    }
    const dispose = async (): Promise<void> => {
      await Promise.all([...scoped].map((c) => c.end().catch(() => undefined)))
    }
    return { ctx, dispose }
  }
}
