/**
 * The pipeline runner: calls stages one at a time, moves the task's state around each call
 * (stage-states.ts), records what finished so a later run resumes, and turns a failure into one
 * PgferryError naming the stage. It knows stages only by what they declare (stage.ts); which
 * stages a task has is the composition root's choice (task/builtin-stages.ts).
 *
 * A call made while the same stage runs shares the in-flight promise (pg-boss's lifecycle rule).
 */
import type pg from 'pg'
import { PgferryError, messageOf } from '../errors.js'
import type { EmitFn } from '../model/events.js'
import type { ProgressStore } from '../model/progress-store.js'
import type { ResolvedTaskConfig } from '../model/resolved-config.js'
import { canTransition } from '../model/task-state.js'
import { waitUntil } from './wait-until.js'
import type { Stage, StageCallOptions } from '../model/stage.js'
import { stageContext, type ContextDeps } from './stage-context.js'
import { enterStage, gateFailed, gateResult, kindOf, leaveStage } from './stage-states.js'
import type { TaskStatus } from './task-status.js'
import { wrapStageError } from './wrap-stage-error.js'
import { PROGRESS_KINDS } from '../model/progress-kinds.js'
import type { TaskLeaseHolder } from './task-lease.js'
import { credentialMistake } from './preflight.js'

/** Progress kind of a finished stage: key the stage's name. */
const STAGE_DONE_KIND = PROGRESS_KINDS.stage

/** What the runner of one task works with. */
export interface RunnerDeps {
  readonly config: ResolvedTaskConfig
  readonly store: ProgressStore
  /** The task's stages in order (pipeline.ts). */
  readonly pipeline: readonly Stage[]
  readonly status: TaskStatus
  readonly emit: EmitFn
  /** Fired by `task.close()`: every call's signal follows it. */
  readonly closing: AbortSignal
  /** The task's lease: held while a call runs or a stream it started lives. */
  readonly lease: TaskLeaseHolder
}

export class StageRunner {
  readonly #d: RunnerDeps
  readonly #ctx: ContextDeps
  readonly #kept = new Set<pg.Client>()
  readonly #results = new Map<string, unknown>()
  #running: { stage: string; promise: Promise<unknown> } | undefined

  constructor(deps: RunnerDeps) {
    this.#d = deps
    this.#ctx = { ...deps, kept: this.#kept, results: this.#results }
  }

  /** The stage running now, if any. */
  get running(): string | undefined {
    return this.#running?.stage
  }

  /** Call one stage by name (it must be in the pipeline). */
  call(name: string, options: StageCallOptions): Promise<unknown> {
    const { config } = this.#d
    if (this.#d.closing.aborted) return Promise.reject(this.#closed())
    if (this.#running !== undefined) {
      if (this.#running.stage === name) return this.#running.promise
      return Promise.reject(
        new PgferryError(
          'PGFERRY_TASK_BUSY',
          `task ${config.id} is running '${this.#running.stage}'; '${name}' must wait`,
          { fix: 'await the running stage first' },
        ),
      )
    }
    const stage = this.#d.pipeline.find((s) => s.name === name)
    if (stage === undefined) return Promise.reject(this.#noStage(`'${name}'`))
    const promise = this.#leased(
      options,
      () => this.#execute(stage, options),
      kindOf(stage),
    ).finally(() => {
      this.#running = undefined
    })
    this.#running = { stage: name, promise }
    return promise
  }

  /**
   * Run the pipeline up to its first cutover stage, skipping what an earlier run finished (a
   * stream is started again); after a passed gate, wait for `startAt`. Once a cutover has begun,
   * finish it instead. Returns each called stage's result by name.
   */
  run(options: StageCallOptions): Promise<Record<string, unknown>> {
    return this.#leased(options, () => this.#run(options))
  }

  async #run(options: StageCallOptions): Promise<Record<string, unknown>> {
    if (await this.#cutoverBegun()) return this.#cutover(options)
    const { pipeline, store, config } = this.#d
    const end = pipeline.findIndex((s) => kindOf(s) === 'cutover')
    const done = new Set((await store.getProgress(config.id, STAGE_DONE_KIND)).map((e) => e.key))
    const results: Record<string, unknown> = {}
    for (const stage of end === -1 ? pipeline : pipeline.slice(0, end)) {
      if (!done.has(stage.name) || kindOf(stage) === 'stream') {
        const result = await this.call(stage.name, options)
        results[stage.name] = result
        if (kindOf(stage) === 'gate') {
          const gate = gateResult(stage, result)
          if (!gate.ok) throw gateFailed(stage, gate)
        }
      }
      // a gate passed by an earlier call (the CLI's precheck before run) waits too: startAt
      // holds back the stages after the gate, however the gate was passed
      if (kindOf(stage) === 'gate' && config.startAt !== undefined)
        await waitUntil(config.startAt, this.#signal(options))
    }
    return results
  }

  /** Run the first cutover stage and every stage after it; each result by name. */
  cutover(options: StageCallOptions): Promise<Record<string, unknown>> {
    return this.#leased(options, () => this.#cutover(options))
  }

  async #cutover(options: StageCallOptions): Promise<Record<string, unknown>> {
    const { pipeline } = this.#d
    const first = pipeline.findIndex((s) => kindOf(s) === 'cutover')
    if (first === -1) throw this.#noStage('cutover')
    const results: Record<string, unknown> = {}
    for (const stage of pipeline.slice(first))
      results[stage.name] = await this.call(stage.name, options)
    return results
  }

  /**
   * Run `fn` holding the task's lease, so the task is never moved by a caller that does not hold
   * it: a refusal rejects before anything changed. A stream's handle keeps the lease until its
   * `done` settles (the work outlives the call).
   */
  async #leased<T>(options: StageCallOptions, fn: () => Promise<T>, kind?: string): Promise<T> {
    if (this.#d.closing.aborted) throw this.#closed()
    const release = await this.#d.lease.hold(options.takeover === true)
    let kept = false
    try {
      const result = await fn()
      const done = kind === 'stream' ? (result as { done?: unknown } | null)?.done : undefined
      if (done instanceof Promise) {
        kept = true
        done.then(release, release)
      }
      return result
    } finally {
      if (!kept) await release()
    }
  }

  /** Undo what the stages left on the servers, last stage first. */
  async cleanup(): Promise<void> {
    for (const stage of [...this.#d.pipeline].reverse()) {
      if (stage.cleanup === undefined) continue
      const { ctx, dispose } = stageContext(this.#ctx, stage, {}, this.#d.closing)
      try {
        await stage.cleanup(ctx)
      } finally {
        await dispose()
      }
    }
  }

  /** Wait for the running stage to stop (after `closing` fired) and close kept connections. */
  async release(): Promise<void> {
    await this.#running?.promise.catch(() => undefined)
    await Promise.all([...this.#kept].map((c) => c.end().catch(() => undefined)))
    this.#kept.clear()
  }

  /**
   * The stored task last ran a cutover stage (or one after it) and is not completed: a crash
   * leaves it running, a failure or an abort `failed` or `paused` with that stage recorded. A
   * stream started since records its own stage, so a caller who chose to sync again after a failed
   * cutover still can.
   */
  async #cutoverBegun(): Promise<boolean> {
    const { pipeline, store, config } = this.#d
    const first = pipeline.findIndex((s) => kindOf(s) === 'cutover')
    if (first === -1) return false
    const r = await store.loadTask(config.id)
    if (r === undefined || r.state === 'completed' || r.stage === undefined) return false
    return pipeline.findIndex((s) => s.name === r.stage) >= first
  }

  async #execute(stage: Stage, options: StageCallOptions): Promise<unknown> {
    const { status, store, pipeline, emit, config } = this.#d
    const signal = this.#signal(options)
    try {
      stage.checkOptions?.({ ...options })
    } catch (error) {
      throw wrapStageError(error, stage.name, signal)
    }
    // a gate reports a failed login itself, as one of its items
    if (kindOf(stage) !== 'gate') {
      const mistake = await credentialMistake(config)
      if (mistake !== undefined) throw wrapStageError(mistake, stage.name, signal)
    }
    await status.refresh()
    const tracks = await enterStage(status, store, pipeline, stage)
    const { ctx, dispose } = stageContext(this.#ctx, stage, { ...options }, signal)
    const started = Date.now()
    emit('stage:start', { taskId: config.id, stage: stage.name })
    try {
      signal.throwIfAborted()
      const result = await stage.run(ctx)
      signal.throwIfAborted()
      this.#results.set(stage.name, result)
      await leaveStage(status, pipeline, stage, result, tracks)
      // a failed gate is not done: the next run checks again
      if (kindOf(stage) !== 'gate' || gateResult(stage, result).ok) {
        await store.putProgress(config.id, [
          { kind: STAGE_DONE_KIND, key: stage.name, value: { doneAt: new Date().toISOString() } },
        ])
      }
      emit('stage:done', { taskId: config.id, stage: stage.name, durationMs: Date.now() - started })
      return result
    } catch (error) {
      const wrapped = wrapStageError(error, stage.name, signal, config.source.user)
      const aborted = wrapped.code === 'PGFERRY_ABORTED'
      // a stop the caller asked for is not a failure: kept as such, never among the errors
      if (aborted) {
        emit('task:paused', { taskId: config.id, stage: stage.name, reason: abortReason(signal) })
      } else {
        emit('error', { taskId: config.id, stage: stage.name, error: wrapped })
      }
      const next = aborted && canTransition(status.state, 'paused') ? 'paused' : 'failed'
      // a Task whose lease was taken over leaves the state to the process that took it
      // the record's error is a failure's: a pause leaves none (status would show it as one)
      if (tracks && !this.#d.lease.lost && canTransition(status.state, next))
        await status
          .set(next, next === 'paused' ? {} : { error: wrapped.message })
          .catch(() => undefined)
      throw wrapped
    } finally {
      await dispose()
    }
  }

  /**
   * A call's signal, its own: aborted by the caller's, if any, and the task's (fired by `close()`).
   * Never the task's signal itself, which every call shares: a listener a stage leaves on
   * `ctx.signal` for work that outlives the call (a stream's stop on abort) then goes with that
   * call's signal instead of piling up on the task's, one more per `startIncremental()`.
   * `AbortSignal.any` holds its sources' links weakly and adds no listener to them.
   */
  #signal(options: StageCallOptions): AbortSignal {
    const { closing } = this.#d
    return AbortSignal.any(options.signal === undefined ? [closing] : [options.signal, closing])
  }

  #closed(): PgferryError {
    return new PgferryError('PGFERRY_TASK_CLOSED', `task ${this.#d.config.id} is closed`, {
      fix: 'reopen it with openTask(id)',
      cliFix: 'pgferry resume <task id> continues it',
    })
  }

  #noStage(what: string): PgferryError {
    const { config, pipeline } = this.#d
    return new PgferryError(
      'PGFERRY_STAGE_INVALID',
      `a '${config.type}' task has no ${what} stage`,
      { fix: `the stages of this task are: ${pipeline.map((s) => s.name).join(', ')}` },
    )
  }
}

/** Why a call's signal fired, as text: its reason's message (`received SIGINT` in the CLI). */
function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason
  return reason === undefined ? 'aborted by the caller' : messageOf(reason)
}
