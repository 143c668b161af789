/**
 * A migration task: a facade over its frozen config, its state (kept in the store), its events and
 * the stage runner (stage/runner.ts), as PgBoss is over its managers. Every stage call is
 * idempotent and resumes from the store.
 */
import { EventEmitter } from 'eventemitter3'
import { PgferryError } from '../errors.js'
import type { PgferryListeners } from '../model/events.js'
import type { ProgressStore } from '../model/progress-store.js'
import { EventLog } from '../stage/event-log.js'
import { StageRunner } from '../stage/runner.js'
import { TaskLeaseHolder } from '../stage/task-lease.js'
import { LiveMeter } from '../stage/live-figures.js'
import type { LeaseOptions, PauseRequest } from '../model/lease.js'
import { takePauseRequest } from '../store/pause-request.js'
import type { StageCallOptions } from '../model/stage.js'
import { TaskStatus } from '../stage/task-status.js'
import type { PrecheckOptions, PrecheckReport } from '../precheck/precheck-report.js'
import type { SchemaResult } from '../schema/schema-result.js'
import type { FullLoadResult } from '../fullload/full-load-result.js'
import type { IncrementalSync } from '../apply/incremental-sync.js'
import type { IncrementalOptions } from '../apply/apply-options.js'
import type { FullLoadOptions } from '../fullload/full-load-stage.js'
import type { CompleteOptions, CompleteResult } from '../complete/complete-result.js'
import { taskPipeline } from './builtin-stages.js'
import { readTaskStatus, type TaskStatusReport } from './task-report.js'
import type { ResolvedTaskConfig } from '../model/resolved-config.js'
import type { TaskState } from '../model/task-state.js'
import type { VerifyOptions, VerifyReport } from '../verify/verify-report.js'
import { verifyTask } from './verify-task.js'

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
  readonly #status: TaskStatus
  readonly #events: EventLog
  readonly #runner: StageRunner
  readonly #lease: TaskLeaseHolder
  #closed = false
  readonly #closing = new AbortController()
  // aborted (and replaced) when a pause request for this Task's lease arrives: every stage call
  // and the stream it started stop as on the caller's own signal
  #pausing = new AbortController()
  #pauseRequest: PauseRequest | undefined

  /** @internal */
  constructor(
    config: ResolvedTaskConfig,
    store: ProgressStore,
    state: TaskState,
    ownsStore: boolean,
    lease: LeaseOptions = {},
  ) {
    super()
    this.id = config.id
    this.config = config
    this.#store = store
    this.#ownsStore = ownsStore
    const meter = new LiveMeter()
    this.#events = new EventLog(config.id, store, (name, event) => {
      meter.observe(name, event)
      ;(this.emit as (n: string, e: unknown) => boolean)(name, event)
    })
    const emit = this.#events.emit
    this.#status = new TaskStatus(config.id, store, emit, state)
    // taken over by another process: this Task stops its work, as if closed
    this.#lease = new TaskLeaseHolder(
      config.id,
      store,
      emit,
      (e) => this.#closing.abort(e),
      lease,
      () => ({ ...meter.snapshot() }),
      (token) => this.#checkPause(token),
    )
    this.#runner = new StageRunner({
      config,
      store,
      pipeline: taskPipeline(config),
      status: this.#status,
      emit,
      closing: this.#closing.signal,
      lease: this.#lease,
    })
  }

  /** The state as last seen by this process (see `refresh`). */
  get state(): TaskState {
    return this.#status.state
  }

  /** The progress store this task uses. */
  get store(): ProgressStore {
    return this.#store
  }

  /**
   * The last pause request (`pauseTask`, `pgferry pause` in another process) that stopped this
   * Task's work, if any: its calls then rejected with `PGFERRY_ABORTED`, or its sync stopped.
   */
  get pauseRequest(): PauseRequest | undefined {
    return this.#pauseRequest
  }

  /** Re-read the state from the store (another process may have moved the task). */
  refresh(): Promise<TaskState> {
    return this.#status.refresh()
  }

  /** Whether a process runs the task now, its state, recent warnings and errors, the next command. */
  status(): Promise<TaskStatusReport> {
    return readTaskStatus(this.#store, this.id)
  }

  /** Check source and target without writing anything. Never throws for a failing check. */
  precheck(options: PrecheckOptions & StageCallOptions = {}): Promise<PrecheckReport> {
    return this.#runner.call('precheck', this.#pausable(options)) as Promise<PrecheckReport>
  }

  /** Create the selected objects on the target (pre-data; for `structure` tasks, everything). */
  migrateSchema(options: StageCallOptions = {}): Promise<SchemaResult> {
    return this.#runner.call('schema', this.#pausable(options)) as Promise<SchemaResult>
  }

  /** Copy the data as of one snapshot, then build post-data objects. */
  fullLoad(options: FullLoadOptions & StageCallOptions = {}): Promise<FullLoadResult> {
    return this.#runner.call('fullload', this.#pausable(options)) as Promise<FullLoadResult>
  }

  /** Start streaming changes; returns at once with a handle. */
  startIncremental(options: IncrementalOptions & StageCallOptions = {}): Promise<IncrementalSync> {
    return this.#runner.call('incremental', this.#pausable(options)) as Promise<IncrementalSync>
  }

  /**
   * Cut over: drain, align sequences, verify, drop the slot and publication. Runs the task's
   * cutover stages and every stage after them.
   */
  async complete(options: CompleteOptions & StageCallOptions = {}): Promise<CompleteResult> {
    const results = await this.#runner.cutover(this.#pausable(options))
    return results.complete as CompleteResult
  }

  /**
   * Compare the target with the source, table by table (`count`, `checksum` or `sample`; see
   * {@link VerifyOptions}). Writes nothing and moves no state, so it runs at any time after the
   * full load, beside a running sync too. Resolves with the report; a difference is data, not an
   * error.
   */
  verify(options: VerifyOptions = {}): Promise<VerifyReport> {
    if (this.#closed)
      return Promise.reject(
        new PgferryError('PGFERRY_TASK_CLOSED', `task ${this.id} is closed`, {
          fix: 'reopen it with openTask(id)',
          cliFix: 'pgferry resume <task id> continues it',
        }),
      )
    return verifyTask(this.config, this.#store, this.#events.emit, this.#closing.signal, options)
  }

  /**
   * Run the stages the task's type needs, in order, with custom stages in their place: for
   * `full+incremental`, up to the cutover (the caller calls `complete`). Stages an earlier run
   * finished are skipped, so `run()` after a crash resumes. Waits for `startAt`.
   * Once a cutover has begun (the task crashed, failed or was aborted inside `complete`), `run()`
   * finishes it: the sync cannot resume under a half-done cutover, and `complete` resumes.
   */
  async run(options: StageCallOptions = {}): Promise<RunResult> {
    const results = await this.#runner.run(this.#pausable(options))
    return { state: this.#status.state, results }
  }

  /** `options` with a signal that also follows this Task's pause requests. */
  #pausable<O extends StageCallOptions>(options: O): O {
    const pause = this.#pausing.signal
    const signal = options.signal === undefined ? pause : AbortSignal.any([options.signal, pause])
    return { ...options, signal }
  }

  /** After a heartbeat: stop as on Ctrl-C when a pause request for this holder is in the store. */
  async #checkPause(token: string): Promise<void> {
    const request = await takePauseRequest(this.#store, this.id, token)
    if (request === undefined) return
    this.#pauseRequest = request
    const pausing = this.#pausing
    this.#pausing = new AbortController()
    const reason = `paused by pid ${request.pid} on host ${request.host} (pgferry pause)`
    // a stage call in flight reports its own stop (the runner); a running stream has none
    if (this.#runner.running === undefined) {
      this.#events.emit('task:paused', { taskId: this.id, reason })
    }
    pausing.abort(new PgferryError('PGFERRY_ABORTED', `task ${this.id} was ${reason}`))
  }

  /** Release every connection. Slots stay, so the task can resume later. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#closing.abort(new PgferryError('PGFERRY_TASK_CLOSED', `task ${this.id} was closed`))
    await this.#runner.release()
    // kept events before the lease goes: a reader that sees the task stopped (`events --follow`)
    // then reads all of them
    await this.#events.flush()
    await this.#lease.close()
    await this.#events.flush()
    if (this.#ownsStore) await this.#store.close()
  }

  /** Undo what the stages left on the servers (slots, publications), forget the task, close it. */
  async delete(): Promise<void> {
    if (this.#closed)
      throw new PgferryError('PGFERRY_TASK_CLOSED', `task ${this.id} is closed`, {
        fix: 'delete it with deleteTask(id, …)',
        cliFix: 'pgferry delete <task id>',
      })
    const running = this.#runner.running
    if (running !== undefined) {
      throw new PgferryError('PGFERRY_TASK_BUSY', `task ${this.id} is running '${running}'`, {
        fix: 'abort it (signal) first',
      })
    }
    // a task another process runs is not deleted under it
    const release = await this.#lease.hold()
    try {
      await this.#runner.cleanup()
    } catch (error) {
      await release()
      throw error
    }
    await this.#store.deleteTask(this.id)
    await this.close()
  }
}
