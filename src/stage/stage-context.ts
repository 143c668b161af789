/**
 * The context a stage call receives, and the connections it opened: closed when the call ends,
 * unless the stage asked to keep them (the incremental stream's), which `task.close()` closes.
 */
import type pg from 'pg'
import type { EmitFn } from '../model/events.js'
import { openClient } from '../pg/connect.js'
import { StatementCanceller, cancelBackends } from '../pg/statement-cancel.js'
import type { ProgressStore } from '../model/progress-store.js'
import type { ResolvedTaskConfig } from '../model/resolved-config.js'
import { canTransition } from '../model/task-state.js'
import type { ConnectOptions, Side, Stage, StageContext } from '../model/stage.js'
import type { TaskStatus } from './task-status.js'

/** What every context of one task shares. */
export interface ContextDeps {
  readonly config: ResolvedTaskConfig
  readonly store: ProgressStore
  readonly status: TaskStatus
  readonly emit: EmitFn
  /** Connections kept past their stage call. */
  readonly kept: Set<pg.Client>
  /** Results of earlier stage calls of this process, by stage name. */
  readonly results: ReadonlyMap<string, unknown>
}

/** A context for one call of `stage`, and the function that closes what the call opened. */
export function stageContext(
  deps: ContextDeps,
  stage: Stage,
  options: Readonly<Record<string, unknown>>,
  signal: AbortSignal,
): { ctx: StageContext; dispose: () => Promise<void> } {
  const scoped = new Set<pg.Client>()
  const { config, emit, status } = deps
  const taskId = config.id
  const canceller = contextCanceller(config, signal)
  const ctx: StageContext = {
    taskId,
    stage: stage.name,
    config,
    store: deps.store,
    signal,
    emit,
    options,
    connect: async (side: Side, opts: ConnectOptions = {}) => {
      signal.throwIfAborted()
      const client = await openClient(config[side], side, opts)
      ;(opts.keep === true ? deps.kept : scoped).add(client)
      canceller.add(client, side)
      return client
    },
    warn: (code, message, object) => {
      emit('warning', {
        taskId,
        code,
        message,
        stage: stage.name,
        ...(object !== undefined ? { object } : {}),
      })
    },
    result: (name) => deps.results.get(name),
    fail: async (error) => {
      emit('error', { taskId, stage: stage.name, error })
      await status.refresh().catch(() => undefined)
      if (canTransition(status.state, 'failed')) {
        await status.set('failed', { error: error.message }).catch(() => undefined)
      }
    },
  }
  const dispose = async (): Promise<void> => {
    await Promise.all([...scoped].map((c) => c.end().catch(() => undefined)))
  }
  return { ctx, dispose }
}

/**
 * Cancels the statements of a context's connections when its call is aborted (pg/statement-cancel.ts),
 * each from a new connection to the same server: kept connections too, whose stream stops on the
 * same signal.
 */
export function contextCanceller(
  config: ResolvedTaskConfig,
  signal: AbortSignal,
): StatementCanceller {
  return new StatementCanceller(signal, (side, pids) =>
    cancelBackends(() => openClient(config[side], side), pids),
  )
}
