/**
 * The workers a task's `status` lists (issue 15): each worker's record in the task's store
 * (task/worker-beacon.ts: identity, last beat, current jobs), those seen recently, busiest first.
 * A record whose worker holds jobs but has not beaten within the task's job timeout is a worker
 * that stopped mid-job (killed, or cut off): its jobs go to another worker.
 */
import type { ProgressStore, TaskRecord } from '../model/progress-store.js'
import { PROGRESS_KINDS } from '../model/progress-kinds.js'
import { DEFAULT_JOB_TIMEOUT_SECONDS, type WorkerJobRef } from '../model/workers.js'
import { readProgress } from '../store/progress-records.js'

/** Workers whose last beat is older than this are left out of `status`: 15 minutes. */
export const RECENT_WORKER_MS = 15 * 60_000

/**
 * A worker of the task's full load, as its last record in the task's store says.
 * @public
 */
export interface TaskWorker {
  /** The worker's id (`host:pid` unless it was given one). */
  readonly worker: string
  /** The host it runs on. */
  readonly host: string
  /** Its process id on that host. */
  readonly pid: number
  /** Its last beat for this task (the worker's clock). */
  readonly lastBeat: Date
  /**
   * Whether it is running jobs of this task now: it holds some and beat within the task's job
   * timeout. False with `jobs` listed: it stopped beating mid-job, and its jobs go to another worker.
   */
  readonly busy: boolean
  /** The jobs of this task it holds (held at its last beat): a chunk copy or a post-data step. */
  readonly jobs: readonly TaskWorkerJob[]
}

/**
 * A job a worker holds.
 * @public
 */
export interface TaskWorkerJob extends Omit<WorkerJobRef, 'since'> {
  /** When the worker claimed it (the worker's clock). */
  readonly since: Date
}

/** The workers seen within {@link RECENT_WORKER_MS} of `now`, busy ones first, then by id. */
export async function readTaskWorkers(
  store: ProgressStore,
  task: TaskRecord,
  now = Date.now(),
): Promise<TaskWorker[]> {
  const timeout = jobTimeoutMs(task)
  const out: TaskWorker[] = []
  for (const { value: w } of await readProgress(store, task.id, PROGRESS_KINDS.worker)) {
    const lastBeat = new Date(w.beatAt)
    const age = now - lastBeat.getTime()
    if (!(age <= RECENT_WORKER_MS)) continue
    out.push({
      worker: w.worker,
      host: w.host,
      pid: w.pid,
      lastBeat,
      busy: w.jobs.length > 0 && age <= timeout,
      jobs: w.jobs.map((j) => ({ ...j, since: new Date(j.since) })),
    })
  }
  return out.sort((a, b) => Number(b.busy) - Number(a.busy) || a.worker.localeCompare(b.worker))
}

/** The task's job timeout: a live worker beats at least every third of it. */
function jobTimeoutMs(task: TaskRecord): number {
  const w = task.config.workers as { jobTimeoutSeconds?: unknown } | null | undefined
  const s = typeof w?.jobTimeoutSeconds === 'number' ? w.jobTimeoutSeconds : undefined
  return (s ?? DEFAULT_JOB_TIMEOUT_SECONDS) * 1000
}
