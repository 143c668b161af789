/**
 * A worker's record in each task's store (issue 15): who it is (id, host, pid), its last beat and
 * the task's jobs it runs now (progress kind `worker`, key: the worker's id), so that
 * `pgferry status` and `task.status()` in any process show which worker does what. Written when
 * the worker claims a job of the task, with each heartbeat on a job, and when the job ends.
 *
 * The writes of one task go one after the other, each with the jobs as they are when it runs: a
 * write started later can never land before an earlier one and bring back a job that ended. A
 * failed write is not the job's failure (the record is for people; the queue's own heartbeat is
 * what hands a job on), so it is dropped and the next beat writes again.
 */
import type { ProgressStore } from '../model/progress-store.js'
import { PROGRESS_KINDS } from '../model/progress-kinds.js'
import type { WorkerBeat, WorkerIdentity, WorkerJobRef } from '../model/workers.js'

interface TaskBeacon {
  readonly store: ProgressStore
  readonly jobs: Map<string, WorkerJobRef>
  chain: Promise<void>
}

/** Writes one worker's record into the store of each task it runs jobs of. */
export class WorkerBeacon {
  readonly #who: WorkerIdentity
  readonly #tasks = new Map<string, TaskBeacon>()

  constructor(who: WorkerIdentity) {
    this.#who = who
  }

  /** The worker claimed job `jobId` of task `taskId`; resolves once the record says so. */
  async claimed(
    taskId: string,
    store: ProgressStore,
    jobId: string,
    job: WorkerJobRef,
  ): Promise<void> {
    let t = this.#tasks.get(taskId)
    if (t === undefined) {
      t = { store, jobs: new Map(), chain: Promise.resolve() }
      this.#tasks.set(taskId, t)
    }
    t.jobs.set(jobId, job)
    await this.#write(taskId, t)
  }

  /** A heartbeat on a job of `taskId`: the record's `beatAt` moves on. */
  beat(taskId: string): void {
    const t = this.#tasks.get(taskId)
    // not awaited: the beat's timer goes on; #write never rejects (see the file comment)
    if (t !== undefined) void this.#write(taskId, t)
  }

  /** Job `jobId` of `taskId` ended (done, dropped or failed); resolves once the record says so. */
  async ended(taskId: string, jobId: string): Promise<void> {
    const t = this.#tasks.get(taskId)
    if (t === undefined) return
    t.jobs.delete(jobId)
    await this.#write(taskId, t)
  }

  #write(taskId: string, t: TaskBeacon): Promise<void> {
    t.chain = t.chain
      .then(async () => {
        const value: WorkerBeat = {
          ...this.#who,
          beatAt: new Date().toISOString(),
          jobs: [...t.jobs.values()],
        }
        await t.store.putProgress(taskId, [
          { kind: PROGRESS_KINDS.worker, key: this.#who.worker, value },
        ])
      })
      .catch(() => undefined)
    return t.chain
  }
}
