/**
 * Scale-out of the full load over worker processes (issue 15): the config that turns it on, its
 * resolved form, and the jobs the coordinator puts on the queue for the workers. Pure types and
 * the defaults they are resolved with.
 */
import type { ConnectionInput } from './task-config.js'
import type { ResolvedConnection } from './resolved-connection.js'

/**
 * How long a claimed job may go without its worker's heartbeat before another worker may claim it
 * (a worker that died mid-job): 60 s. A live worker beats every third of it.
 * @public
 */
export const DEFAULT_JOB_TIMEOUT_SECONDS = 60

/**
 * The PostgreSQL job queue (pg-boss) shared by a task's coordinator and its workers.
 * @public
 */
export interface WorkersConfig {
  /**
   * The queue's database: a URL or a `pg` config. pg-boss keeps its tables in a schema
   * `pgferry_queue` there. Every worker (`startWorker`, `pgferry worker`) connects to the same one.
   */
  readonly queue: ConnectionInput
  /**
   * Seconds a claimed job may go without a heartbeat before it is handed to another worker.
   * Defaults to {@link DEFAULT_JOB_TIMEOUT_SECONDS}.
   */
  readonly jobTimeoutSeconds?: number
}

/**
 * The resolved {@link WorkersConfig}.
 * @public
 */
export interface ResolvedWorkers {
  /** The queue's connection (its password held apart, never here). */
  readonly queue: ResolvedConnection
  /** Seconds without a heartbeat before a claimed job is handed to another worker. */
  readonly jobTimeoutSeconds: number
}

/**
 * Where a worker finds a task's store: the target connection whose `pgferry` schema holds it,
 * without its password (a worker takes it from `PGFERRY_TARGET_PASSWORD`).
 * @public
 */
export interface StoreAddress {
  /** The target server's host name or address. */
  readonly host: string
  /** The target server's port. */
  readonly port: number
  /** The role the task connects to the target as. */
  readonly user: string
  /** The target database whose `pgferry` schema holds the store. */
  readonly database: string
  /** Whether the task connects to the target over SSL. */
  readonly ssl: boolean
}

/**
 * What every queued job carries: its task, and where that task's settings are.
 * @public
 */
export interface QueuedJobBase {
  /** Payload version. */
  readonly v: 1
  /** The task the job belongs to; a worker drops the job when that task is gone or done. */
  readonly taskId: string
  /** Where the task's settings are kept. */
  readonly store: StoreAddress
  /** The source database, for events. */
  readonly database: string
  /** The target database the job writes into. */
  readonly targetDb: string
}

/**
 * A chunk copy: the planned COPY job, as the in-process load runs it.
 * @public
 */
export interface QueuedChunk extends QueuedJobBase {
  /** Tells a chunk copy from a post-data step. */
  readonly kind: 'chunk'
  /** `schema.name` on the source. */
  readonly table: string
  /** The chunk (a `CopyJob` of the full load, JSON-safe). */
  readonly job: Readonly<Record<string, unknown>>
}

/**
 * A post-data step (index, constraint, validate …) as the structure stage planned it.
 * @public
 */
export interface QueuedStep extends QueuedJobBase {
  /** Tells a post-data step from a chunk copy. */
  readonly kind: 'step'
  /** The step (a `DdlStep`, JSON-safe). */
  readonly step: Readonly<Record<string, unknown>>
  /** `search_path` to run it under ('' = the server's default). */
  readonly searchPath: string
  /** Chunks are still copying: no parallel maintenance workers. */
  readonly copying: boolean
}

/**
 * A job on the queue.
 * @public
 */
export type QueuedJob = QueuedChunk | QueuedStep

/**
 * Who a worker is: its id (`host:pid` unless `startWorker` was given one), host and process id.
 * @public
 */
export interface WorkerIdentity {
  /** The worker's id: `host:pid`, or the id `startWorker` was given. */
  readonly worker: string
  /** The host name of the machine it runs on. */
  readonly host: string
  /** Its process id on that host. */
  readonly pid: number
}

/**
 * What a worker writes on a job it holds (with each heartbeat) and when it finishes it.
 * @public
 */
export interface QueuedJobOutput extends WorkerIdentity {
  /** Why the job was dropped without doing it (its task is gone or done, its snapshot is gone). */
  readonly dropped?: string
}

/**
 * A job a worker runs now, as its record in the task's store and `status` show it.
 * @public
 */
export interface WorkerJobRef {
  /** A chunk copy or a post-data step. */
  readonly kind: 'chunk' | 'step'
  /** The source database. */
  readonly database: string
  /** `schema.name chunk i/n`, or the post-data step's name. */
  readonly name: string
  /** When the worker claimed it (ISO 8601, the worker's clock). */
  readonly since: string
}

/**
 * A worker's record in a task's store (progress kind `worker`, key: the worker's id), written by
 * the worker when it claims a job of the task, with each heartbeat, and when the job ends.
 * @public
 */
export interface WorkerBeat extends WorkerIdentity {
  /** Its last write (ISO 8601, the worker's clock). */
  readonly beatAt: string
  /** The task's jobs it runs now; empty when it runs none. */
  readonly jobs: readonly WorkerJobRef[]
}

/**
 * Payload of `worker:job`: a job of a task with workers (issue 15) was claimed by a worker, or
 * finished there.
 * @public
 */
export interface WorkerJobEvent extends WorkerIdentity {
  /** The task that emitted the event. */
  readonly taskId: string
  /** A chunk copy or a post-data step. */
  readonly kind: 'chunk' | 'step'
  /** The source database. */
  readonly database: string
  /** `schema.name chunk i/n`, or the post-data step's name. */
  readonly name: string
  /** `claimed` when a worker holds it, `done` when it committed there. */
  readonly state: 'claimed' | 'done'
}
