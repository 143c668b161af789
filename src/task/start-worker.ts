/**
 * `startWorker` (issue 15): a process that claims the full-load jobs of any task on one queue,
 * `concurrency` at a time, and runs them (fullload/worker-job.ts). A job whose task is deleted or
 * no longer in its full load is dropped undone. While a job runs the worker beats on it; a worker
 * that dies stops beating, and after the task's `jobTimeoutSeconds` another worker gets the job.
 */
import os from 'node:os'
import { EventEmitter } from 'eventemitter3'
import type { PgferryListeners } from '../model/events.js'
import type { ProgressStore } from '../model/progress-store.js'
import type { ConnectionInput } from '../model/task-config.js'
import {
  DEFAULT_JOB_TIMEOUT_SECONDS,
  type QueuedJob,
  type QueuedJobOutput,
  type WorkerIdentity,
} from '../model/workers.js'
import { JobQueue } from '../queue/job-queue.js'
import { WorkerJobs } from '../fullload/worker-job.js'
import { resolveConnection } from './resolve-connection.js'
import { WorkerBeacon } from './worker-beacon.js'
import { workerConfig, workerContext, workerStore } from './worker-task.js'

/**
 * Options of {@link startWorker}.
 * @public
 */
export interface WorkerOptions {
  /** The queue's database, as the tasks' `workers.queue` names it. */
  readonly queue: ConnectionInput
  /** Jobs run at once. Defaults to 2. */
  readonly concurrency?: number
  /** Seconds between this worker's checks for jobs whose worker stopped beating. Defaults to 10. */
  readonly maintenanceSeconds?: number
  /** The worker's id in events and `status` (beside its host and pid). Defaults to `host:pid`. */
  readonly id?: string
}

interface TaskJobs {
  readonly jobs: WorkerJobs
  readonly beatMs: number
  readonly close: () => Promise<void>
}

/**
 * A running worker: emits the events of the jobs it runs (`worker:job`, `chunk:progress`,
 * `warning`), and keeps its record (identity, last beat, current jobs) in each task's store, which
 * `status` shows.
 * @public
 */
export class Worker extends EventEmitter<PgferryListeners> {
  /** `host:pid`, or the id given. */
  readonly id: string
  /** The host name of the machine it runs on. */
  readonly host: string
  /** Its process id. */
  readonly pid: number
  readonly #queue: JobQueue
  readonly #beacon: WorkerBeacon
  readonly #stores = new Map<string, ProgressStore>()
  readonly #tasks = new Map<string, Promise<TaskJobs>>()
  readonly #abort = new AbortController()
  #stopping: Promise<void> | undefined

  /** @internal */
  constructor(who: WorkerIdentity, queue: JobQueue) {
    super()
    this.id = who.worker
    this.host = who.host
    this.pid = who.pid
    this.#queue = queue
    this.#beacon = new WorkerBeacon(who)
  }

  #identity(): WorkerIdentity {
    return { worker: this.id, host: this.host, pid: this.pid }
  }

  /**
   * Run one claimed job: load its task from the store, then copy the chunk or run the step.
   * @internal
   */
  async handle(jobId: string, job: QueuedJob): Promise<QueuedJobOutput> {
    const out = this.#identity()
    const store = this.#store(job)
    const record = await store.loadTask(job.taskId)
    if (record === undefined) return { ...out, dropped: 'its task is deleted' }
    if (record.state !== 'running_full_load')
      return { ...out, dropped: `its task is ${record.state}, not in its full load` }
    let taskJobs = this.#tasks.get(job.taskId)
    if (taskJobs === undefined) {
      taskJobs = this.#open(record, store)
      this.#tasks.set(job.taskId, taskJobs)
      taskJobs.catch(() => this.#tasks.delete(job.taskId))
    }
    const t = await taskJobs
    await this.#queue.heartbeat(jobId, out)
    const beat = setInterval(() => {
      void this.#queue.heartbeat(jobId, out).catch(() => undefined)
      this.#beacon.beat(job.taskId)
    }, t.beatMs)
    const name = job.kind === 'chunk' ? chunkName(job) : String(job.step.name)
    const ref = { kind: job.kind, database: job.database, name }
    await this.#beacon.claimed(job.taskId, store, jobId, {
      ...ref,
      since: new Date().toISOString(),
    })
    const event = { taskId: job.taskId, ...out, ...ref }
    this.emit('worker:job', { ...event, state: 'claimed' })
    try {
      const dropped = await t.jobs.run(job)
      if (dropped !== undefined) return { ...out, dropped }
      this.emit('worker:job', { ...event, state: 'done' })
      return out
    } finally {
      clearInterval(beat)
      await this.#beacon.ended(job.taskId, jobId)
    }
  }

  #store(job: QueuedJob): ProgressStore {
    const key = JSON.stringify(job.store)
    let store = this.#stores.get(key)
    if (store === undefined) {
      store = workerStore(job.store)
      this.#stores.set(key, store)
    }
    return store
  }

  async #open(record: Parameters<typeof workerConfig>[0], store: ProgressStore): Promise<TaskJobs> {
    const config = workerConfig(record)
    const who = this.#identity()
    const emit = (name: keyof PgferryListeners, e: unknown): void => {
      // a chunk's progress says which worker copies it, as its `worker:job` events do
      const payload = name === 'chunk:progress' ? { ...(e as object), ...who } : e
      ;(this.emit as (n: string, e: unknown) => boolean)(name, payload)
    }
    const { ctx, close } = workerContext(config, store, emit, this.#abort.signal)
    const jobs = new WorkerJobs(ctx)
    const timeout = config.workers?.jobTimeoutSeconds ?? DEFAULT_JOB_TIMEOUT_SECONDS
    return {
      jobs,
      beatMs: Math.max(500, (timeout * 1000) / 3),
      close: async () => {
        await jobs.close()
        await close()
      },
    }
  }

  /** Stop claiming jobs, let the running ones finish, and close every connection. Idempotent. */
  async stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await this.#queue.stop(true).catch(() => undefined)
      this.#abort.abort()
      for (const t of this.#tasks.values()) await (await t.catch(() => undefined))?.close()
      for (const s of this.#stores.values()) await s.close().catch(() => undefined)
    })()
    await this.#stopping
  }
}

function chunkName(job: Extract<QueuedJob, { kind: 'chunk' }>): string {
  const c = (job.job as { chunk?: { index: number; count: number } }).chunk
  return c === undefined ? job.table : `${job.table} chunk ${c.index + 1}/${c.count}`
}

/**
 * Start a worker of the full load: it claims jobs of any task whose `workers.queue` is `queue`.
 * Passwords come from `PGFERRY_SOURCE_PASSWORD` and `PGFERRY_TARGET_PASSWORD` (the queue's from
 * its own connection); everything else from each task's store.
 * @public
 */
export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const concurrency = options.concurrency ?? 2
  const queue = new JobQueue(resolveConnection(options.queue, 'queue'), {
    supervise: true,
    maintenanceSeconds: options.maintenanceSeconds ?? 10,
    poolSize: concurrency + 2,
  })
  await queue.start()
  const host = os.hostname()
  const who = { worker: options.id ?? `${host}:${process.pid}`, host, pid: process.pid }
  const worker = new Worker(who, queue)
  await queue.work(concurrency, (id, job) => worker.handle(id, job))
  return worker
}
