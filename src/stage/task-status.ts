/**
 * A task's state as this process last saw it, and the only way to move it: each move is checked
 * against the transition table and written to the store on the condition that the stored state is
 * still the one this process saw (a second process running the same task loses with
 * PGFERRY_TASK_BUSY instead of both writing).
 */
import { PgferryError } from '../errors.js'
import type { EmitFn } from '../model/events.js'
import type { ProgressStore } from '../model/progress-store.js'
import { type TaskState } from '../model/task-state.js'
import { assertTransition } from './assert-transition.js'

/** What a move writes beside the state. `undefined` clears the field. */
export interface StatusExtra {
  readonly stage?: string | undefined
  readonly error?: string | undefined
}

export class TaskStatus {
  #state: TaskState

  constructor(
    readonly taskId: string,
    private readonly store: ProgressStore,
    private readonly emit: EmitFn,
    state: TaskState,
  ) {
    this.#state = state
  }

  /** The state as last seen by this process. */
  get state(): TaskState {
    return this.#state
  }

  /** Re-read the state from the store (another process may have moved the task). */
  async refresh(): Promise<TaskState> {
    const r = await this.store.loadTask(this.taskId)
    if (r === undefined)
      throw new PgferryError(
        'PGFERRY_TASK_NOT_FOUND',
        `task ${this.taskId} is no longer in the store (deleted?)`,
      )
    this.#state = r.state
    return r.state
  }

  /**
   * Move to `to`, writing `extra` with it. Staying in the same state only writes `extra` (a stage
   * that runs within the phase of the one before it records its name, which is no move).
   */
  async set(to: TaskState, extra: StatusExtra = {}): Promise<void> {
    const from = this.#state
    if (from === to && extra.stage === undefined && extra.error === undefined) return
    if (from !== to) assertTransition(from, to, this.taskId)
    const ok = await this.store.updateTask(this.taskId, { state: to, ...extra }, from)
    if (!ok) {
      const now = await this.refresh()
      throw new PgferryError(
        'PGFERRY_TASK_BUSY',
        `task ${this.taskId} was moved to '${now}' by another process`,
        { fix: 'only one process may run a task at a time; reopen it when the other is done' },
      )
    }
    this.#state = to
    if (from !== to) this.emit('task:state', { taskId: this.taskId, from, to })
  }
}
