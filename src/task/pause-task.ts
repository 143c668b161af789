/**
 * Pausing a task that another process runs (`pgferry pause ID`): a pause request for the holder of
 * the task's lease is kept in the store (store/pause-request.ts); the holder sees it with its next
 * heartbeat and stops as on Ctrl-C (stage calls abort, the sync stops, the slot and the state are
 * kept, the lease is released), so the task can be resumed. Nothing else is written: a task no
 * process runs is refused and left as it was.
 */
import os from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { PgferryError } from '../errors.js'
import type { TaskState } from '../model/task-state.js'
import { leaseLive } from '../stage/task-lease.js'
import { requestPause } from '../store/pause-request.js'
import { withStore, type StoreLocator } from './create-task.js'

/** How often a waiting `pauseTask` looks at the lease. */
const WAIT_POLL_MS = 250

/**
 * Options for {@link pauseTask}.
 * @public
 */
export interface PauseOptions {
  /**
   * Resolve only once the running process has stopped (it released the task's lease, or stopped
   * beating). Defaults to `true`; with `false`, resolve once the request is kept.
   */
  readonly wait?: boolean
  /** Stop waiting (the request stays: the process still stops) when aborted. */
  readonly signal?: AbortSignal
}

/**
 * What {@link pauseTask} did.
 * @public
 */
export interface PauseResult {
  /** The process asked to stop, from the task's lease. */
  readonly runner: { readonly pid: number; readonly host: string; readonly since: Date }
  /** Whether it has stopped (always `true` when waited for). */
  readonly stopped: boolean
  /** The task's stored state when `pauseTask` returned (e.g. `paused`, or `incremental_sync`). */
  readonly state: TaskState
}

/**
 * Ask the process running task `id` (in this or another process, on any host) to stop its work as
 * on Ctrl-C, and, unless `wait: false`, wait until it has. The task stays resumable. Rejects with
 * `PGFERRY_TASK_NOT_RUNNING` when no process runs the task (its state is left as it was), and with
 * `PGFERRY_TASK_NOT_FOUND` when the store has no such task.
 * @public
 */
export async function pauseTask(
  id: string,
  locator: StoreLocator,
  options: PauseOptions = {},
): Promise<PauseResult> {
  return withStore(locator, async (store, owns) => {
    try {
      const task = await store.loadTask(id)
      if (task === undefined)
        throw new PgferryError('PGFERRY_TASK_NOT_FOUND', `no task with id ${id} in the store`, {
          fix: 'listTasks() shows the tasks the store has',
          cliFix: `'pgferry list --target URL' shows the tasks the store has`,
        })
      const lease = await store.getLease(id)
      if (lease === undefined || !leaseLive(lease))
        throw new PgferryError(
          'PGFERRY_TASK_NOT_RUNNING',
          `task ${id} is not running: no process runs it now (its state, ${task.state}, is unchanged)`,
          {
            fix: 'nothing to pause; openTask(id) and task.run() continue it',
            cliFix:
              'nothing to pause; pgferry status <task id> shows it, pgferry resume <task id> continues it',
          },
        )
      await requestPause(store, id, lease.token, {
        requestedAt: new Date().toISOString(),
        host: os.hostname(),
        pid: process.pid,
      })
      const runner = { pid: lease.pid, host: lease.host, since: lease.startedAt }
      let stopped = false
      while (options.wait !== false && !stopped) {
        await sleep(WAIT_POLL_MS, undefined, { signal: options.signal })
        const now = await store.getLease(id)
        stopped = now === undefined || now.token !== lease.token || !leaseLive(now)
      }
      const state = (await store.loadTask(id))?.state ?? task.state
      return { runner, stopped, state }
    } finally {
      if (owns) await store.close()
    }
  })
}
