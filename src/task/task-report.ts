/**
 * What `pgferry status` and `task.status()` show: the stored task, whether a process runs it now
 * (from its lease), its recent warnings and errors, and the next command. Read-only: it creates
 * nothing in the store.
 */
import type { ProgressStore, StoredEvent, TaskRecord } from '../model/progress-store.js'
import type { LiveFigures, TaskLease } from '../model/lease.js'
import { PgferryError } from '../errors.js'
import { completable } from '../model/task-state.js'
import { leaseLive } from '../stage/task-lease.js'
import { readTableProgress, type TableProgress } from './table-progress.js'
import { readTaskWorkers, type TaskWorker } from './task-workers.js'

/** How many recent warnings and errors a report keeps. */
const RECENT = 5

/**
 * The process that runs a task, from its lease.
 * @public
 */
export interface TaskRunner {
  /** Whether it runs the task now (a live heartbeat); false: it stopped or was killed. */
  readonly running: boolean
  /** Its process id on its host. */
  readonly pid: number
  /** Its host name. */
  readonly host: string
  /** When it took the task. */
  readonly since: Date
  /** Its last heartbeat. */
  readonly lastBeat: Date
  /** What it reported with its last beat (lag, apply rate, load progress), if anything. */
  readonly live: LiveFigures | undefined
}

/**
 * One task's status.
 * @public
 */
export interface TaskStatusReport {
  /** The task as stored. */
  readonly task: TaskRecord
  /** `running` when a process runs the task now, else `stopped`. */
  readonly runState: 'running' | 'stopped'
  /** The process holding (or last holding, if its lease is stale) the task; undefined if none. */
  readonly runner: TaskRunner | undefined
  /**
   * Every table of the task's full load: waiting, copying, post-data (indexes being built) or
   * done, with rows and bytes; empty before the task resolved what it migrates.
   */
  readonly tables: readonly TableProgress[]
  /**
   * With `workers` (issue 15): the worker processes seen in the last 15 minutes, each with its
   * host, pid, last beat and the jobs of this task it holds (chunk or post-data step); busy ones
   * first. Empty for a task without workers.
   */
  readonly workers: readonly TaskWorker[]
  /** The latest warnings, oldest first. */
  readonly warnings: readonly StoredEvent[]
  /** The latest errors, oldest first. */
  readonly errors: readonly StoredEvent[]
  /**
   * What to do next, as a `pgferry` command line with the task's servers as URLs without their
   * passwords (e.g. `pgferry resume ID --source postgres://u@h:5432/db --target …`), or a sentence
   * when no command applies; undefined when the task is done.
   */
  readonly next: string | undefined
  /**
   * Whether `complete` applies now: the task is syncing or completing, or was stopped in its sync or
   * in `complete` (never before its full load finished).
   */
  readonly completable: boolean
}

/** The status of task `id` in `store`; rejects with PGFERRY_TASK_NOT_FOUND when there is none. */
export async function readTaskStatus(store: ProgressStore, id: string): Promise<TaskStatusReport> {
  const task = await store.loadTask(id)
  if (task === undefined)
    throw new PgferryError('PGFERRY_TASK_NOT_FOUND', `no task with id ${id} in the store`, {
      fix: `'pgferry list --target URL' shows the tasks the store has`,
    })
  const lease = await store.getLease(id)
  const runner = lease === undefined ? undefined : toRunner(lease)
  const events = await store.listEvents(id)
  const running = runner?.running === true
  return {
    task,
    runState: running ? 'running' : 'stopped',
    runner,
    tables: await readTableProgress(store, id, running ? runner?.live : undefined),
    workers: await readTaskWorkers(store, task),
    warnings: events.filter((e) => e.name === 'warning').slice(-RECENT),
    errors: events.filter((e) => e.name === 'error').slice(-RECENT),
    next: nextCommand(task, running),
    completable: completable(task.state, task.stage),
  }
}

function toRunner(lease: TaskLease): TaskRunner {
  return {
    running: leaseLive(lease),
    pid: lease.pid,
    host: lease.host,
    since: lease.startedAt,
    lastBeat: lease.beatAt,
    live: lease.live as LiveFigures | undefined,
  }
}

/**
 * The stored connection as a URL for the command line: no password (the CLI reads it from
 * PGFERRY_SOURCE_PASSWORD / PGFERRY_TARGET_PASSWORD), so the command can be shown and copied.
 */
function urlOf(stored: unknown): string | undefined {
  if (typeof stored !== 'object' || stored === null) return undefined
  const c = stored as { host?: unknown; port?: unknown; user?: unknown; database?: unknown }
  if (typeof c.host !== 'string' || typeof c.user !== 'string') return undefined
  const host = c.host.includes(':') ? `[${c.host}]` : c.host
  return `postgres://${encodeURIComponent(c.user)}@${host}:${String(c.port)}/${encodeURIComponent(String(c.database))}`
}

/** The next step for a task in its state, run or not by a process now. */
function nextCommand(task: TaskRecord, running: boolean): string | undefined {
  const source = urlOf(task.config.source)
  const target = urlOf(task.config.target)
  const id =
    source === undefined || target === undefined
      ? task.id
      : `${task.id} --source ${source} --target ${target}`
  if (task.state === 'completed') return undefined
  if (running) {
    return task.state === 'incremental_sync'
      ? `to cut over: stop writes to the source, stop the running process (Ctrl-C, or pgferry pause ${task.id}), then pgferry complete ${id}`
      : `wait: the task is running (stop it with Ctrl-C in its terminal, or pgferry pause ${task.id})`
  }
  if (task.state === 'completing') return `pgferry complete ${id}`
  if (completable(task.state, task.stage))
    return `pgferry resume ${id} (sync again), or pgferry complete ${id} (after stopping writes to the source)`
  return `pgferry resume ${id}`
}
