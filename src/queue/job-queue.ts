/**
 * The full load's job queue (issue 15): pg-boss (pinned exactly, see README "Scale-out") in a
 * schema `pgferry_queue` of the queue database, one pg-boss queue `pgferry-load` that every task
 * shares, each job tagged with its task (`data.taskId`).
 *
 * pg-boss 10 (the last major that runs on Node 20) expires an active job by its `expire_in`
 * counted from `started_on`, and has no heartbeat of its own. A worker's heartbeat here moves
 * `started_on` forward while the job runs, so `expire_in` (the task's `jobTimeoutSeconds`) becomes
 * the time a job may go without one: a worker that died loses its job to another after that
 * timeout, whatever the chunk's length. The same statement records which worker holds the job.
 * These two statements and the state reads are the only SQL here on pg-boss's own tables; the
 * version is pinned so that they stay true (the queue test covers them).
 */
import { setTimeout as delay } from 'node:timers/promises'
import PgBoss from 'pg-boss'
import { PgferryError, messageOf } from '../errors.js'
import { clientConfig } from '../pg/connect.js'
import type { ResolvedConnection } from '../model/resolved-connection.js'
import type { QueuedJob, QueuedJobOutput, WorkerIdentity } from '../model/workers.js'

/** pg-boss's schema in the queue database. */
export const QUEUE_SCHEMA = 'pgferry_queue'
/** The one pg-boss queue of full-load jobs; jobs carry their task. */
export const LOAD_QUEUE = 'pgferry-load'
/** A job that failed is tried again this many times (by any worker) before the load fails. */
const RETRY_LIMIT = 3
/** An idle claim loop polls the queue this often. */
const POLL_MS = 500
/** A graceful stop waits this long for running jobs. */
const STOP_WAIT_MS = 30_000

/** A job's state as the coordinator follows it. */
export interface JobState {
  readonly state: 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed'
  /** What the worker reported (on completion), or its heartbeat's identity while active. */
  readonly output: (QueuedJobOutput & { readonly message?: string }) | null
}

/** Options of {@link JobQueue}. */
export interface JobQueueOptions {
  /** Run pg-boss's maintenance (expiry of jobs without heartbeat). Workers and coordinators do. */
  readonly supervise: boolean
  /** Seconds between maintenance runs (expiry checks). Defaults to a fifth of the job timeout. */
  readonly maintenanceSeconds?: number
  /** Connections in pg-boss's pool. */
  readonly poolSize?: number
}

/** A connection to the queue. */
export class JobQueue {
  readonly #conn: ResolvedConnection
  readonly #options: JobQueueOptions
  #boss: PgBoss | undefined
  #starting: Promise<PgBoss> | undefined
  #stopping: AbortController | undefined
  readonly #loops: Promise<void>[] = []

  constructor(conn: ResolvedConnection, options: JobQueueOptions) {
    this.#conn = conn
    this.#options = options
  }

  /** Connect and install or migrate pg-boss's schema (idempotent; shares the call in flight). */
  async start(): Promise<void> {
    this.#starting ??= this.#start()
    await this.#starting
  }

  async #start(): Promise<PgBoss> {
    const pgc = await clientConfig(this.#conn)
    const boss = new PgBoss({
      host: pgc.host ?? 'localhost',
      port: pgc.port ?? 5432,
      user: pgc.user ?? 'postgres',
      database: pgc.database ?? 'postgres',
      ...(typeof pgc.password === 'string' ? { password: pgc.password } : {}),
      ssl: pgc.ssl,
      application_name: `${this.#conn.applicationName} queue`,
      schema: QUEUE_SCHEMA,
      max: this.#options.poolSize ?? 4,
      supervise: this.#options.supervise,
      schedule: false,
      maintenanceIntervalSeconds: this.#options.maintenanceSeconds ?? 10,
      monitorStateIntervalSeconds: 3600,
    })
    // pg-boss reports its pool's errors as events; a failed call still rejects where it is made
    boss.on('error', () => undefined)
    try {
      await boss.start()
      await boss.createQueue(LOAD_QUEUE, { name: LOAD_QUEUE, retryLimit: RETRY_LIMIT })
    } catch (error) {
      await boss.stop({ graceful: false, wait: false }).catch(() => undefined)
      throw new PgferryError(
        'PGFERRY_QUEUE_UNREACHABLE',
        `cannot open the workers' job queue: ${messageOf(error)}`,
        {
          cause: error,
          retryable: true,
          fix: `check workers.queue: the database must exist and its user may create the schema ${QUEUE_SCHEMA}`,
        },
      )
    }
    this.#boss = boss
    return boss
  }

  #b(): PgBoss {
    if (this.#boss === undefined) throw new PgferryError('PGFERRY_INTERNAL', 'queue not started')
    return this.#boss
  }

  async #sql<R>(sql: string, values: unknown[]): Promise<R[]> {
    const r = await this.#b().getDb().executeSql(sql, values)
    return r.rows as R[]
  }

  /** Enqueue jobs; returns their ids in order. `timeoutSeconds`: see the file comment. */
  async enqueue(jobs: readonly QueuedJob[], timeoutSeconds: number): Promise<string[]> {
    const ids: string[] = []
    for (const data of jobs) {
      const id = await this.#b().send(LOAD_QUEUE, data, {
        retryLimit: RETRY_LIMIT,
        retryDelay: 0,
        expireInSeconds: timeoutSeconds,
      })
      if (id === null) throw new PgferryError('PGFERRY_INTERNAL', 'the queue refused a job')
      ids.push(id)
    }
    return ids
  }

  /** The states of jobs by id (a job no longer there is left out). */
  async states(ids: readonly string[]): Promise<Map<string, JobState>> {
    const rows = await this.#sql<{ id: string; state: JobState['state']; output: unknown }>(
      `SELECT id::text, state::text AS state, output FROM ${QUEUE_SCHEMA}.job
        WHERE name = $1 AND id = ANY($2::uuid[])`,
      [LOAD_QUEUE, ids],
    )
    return new Map(
      rows.map((r) => [r.id, { state: r.state, output: r.output as JobState['output'] }]),
    )
  }

  /**
   * Cancel a task's jobs not yet claimed, and return how many are claimed (active): a new run of
   * the coordinator waits until that is 0, so that no job of a dead run commits after it planned.
   */
  async dropTask(taskId: string): Promise<number> {
    await this.#sql(
      `UPDATE ${QUEUE_SCHEMA}.job SET state = 'cancelled', completed_on = now()
        WHERE name = $1 AND data->>'taskId' = $2 AND state IN ('created', 'retry')`,
      [LOAD_QUEUE, taskId],
    )
    const r = await this.#sql<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${QUEUE_SCHEMA}.job
        WHERE name = $1 AND data->>'taskId' = $2 AND state = 'active'`,
      [LOAD_QUEUE, taskId],
    )
    return Number(r[0]?.n ?? 0)
  }

  /** A worker's heartbeat on a job it holds; false when the job is no longer its own. */
  async heartbeat(id: string, who: WorkerIdentity): Promise<boolean> {
    const r = await this.#sql(
      `UPDATE ${QUEUE_SCHEMA}.job SET started_on = now(),
              output = jsonb_build_object('worker', $3::text, 'host', $4::text, 'pid', $5::int)
        WHERE name = $1 AND id = $2::uuid AND state = 'active' RETURNING 1`,
      [LOAD_QUEUE, id, who.worker, who.host, who.pid],
    )
    return r.length > 0
  }

  /**
   * Claim and run jobs, `concurrency` at a time, until `stop()`. `handle` resolves with the job's
   * output (the job completes) or rejects (the job fails, and is retried by any worker).
   *
   * The claim loop is ours, on pg-boss's `fetch`: pg-boss's own `work()` stops waiting for a
   * handler after the job's `expire_in` and fails the job while it still runs, then claims the
   * next one. With the heartbeat above a live job may run far longer than that, so `work()` would
   * break the concurrency limit and spend the job's retries on a chunk that is still copying.
   */
  async work(
    concurrency: number,
    handle: (id: string, job: QueuedJob) => Promise<QueuedJobOutput>,
  ): Promise<void> {
    const boss = this.#b()
    const stopping = (this.#stopping ??= new AbortController())
    for (let i = 0; i < concurrency; i++)
      this.#loops.push(this.#claimLoop(boss, stopping.signal, handle))
    return Promise.resolve()
  }

  /** One claim at a time: fetch a job, run it to its end, complete or fail it; poll when idle. */
  async #claimLoop(
    boss: PgBoss,
    signal: AbortSignal,
    handle: (id: string, job: QueuedJob) => Promise<QueuedJobOutput>,
  ): Promise<void> {
    while (!signal.aborted) {
      let job: PgBoss.Job<QueuedJob> | undefined
      try {
        ;[job] = await boss.fetch<QueuedJob>(LOAD_QUEUE, { batchSize: 1 })
      } catch {
        // the queue database unreachable for a moment: poll again (a job not claimed is not lost)
        job = undefined
      }
      if (job === undefined) {
        await delay(POLL_MS, undefined, { signal }).catch(() => undefined)
        continue
      }
      try {
        const output = await handle(job.id, job.data)
        await boss.complete(LOAD_QUEUE, job.id, output)
      } catch (error) {
        // a failure that cannot even be recorded leaves the job active: its missing heartbeat
        // hands it to another worker after the timeout
        await boss.fail(LOAD_QUEUE, job.id, { message: messageOf(error) }).catch(() => undefined)
      }
    }
  }

  /** Stop claiming and close the pool. `graceful`: wait for running handlers first. */
  async stop(graceful = true): Promise<void> {
    const boss = this.#boss
    this.#boss = undefined
    this.#starting = undefined
    this.#stopping?.abort()
    this.#stopping = undefined
    const loops = this.#loops.splice(0)
    if (graceful) {
      const waited = new AbortController()
      await Promise.race([
        Promise.allSettled(loops),
        delay(STOP_WAIT_MS, undefined, { signal: waited.signal }).catch(() => undefined),
      ])
      waited.abort()
    }
    if (boss !== undefined) await boss.stop({ graceful, wait: true, timeout: 30_000 })
  }
}
