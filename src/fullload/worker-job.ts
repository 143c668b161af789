/**
 * A worker's side of a queued job (issue 15): a chunk copy is run by the same ChunkJob as the
 * in-process load (same COPY, same exactly-once row in the same target transaction), under the
 * coordinator's exported snapshot (`SET TRANSACTION SNAPSHOT` works from any machine that reaches
 * the source); a post-data step by the same function as the in-process runner.
 */
import { PgferryError } from '../errors.js'
import type { StageContext } from '../model/stage.js'
import type { QueuedJob } from '../model/workers.js'
import type { DdlStep } from '../schema/ddl-step.js'
import { ChunkJob } from './chunk-job.js'
import { LanePool } from './copy-lanes.js'
import type { CopyJob } from './copy-pipe.js'
import { preparePostDataSession, runPostDataStep } from './post-data-step.js'
import type { HeldSnapshot } from './snapshot.js'
import { Throttle } from './throttle.js'

/** Why a job was dropped undone, or undefined when it was done. */
export type JobVerdict = string | undefined

/** Runs one task's jobs in a worker, reusing its COPY lanes from job to job. */
export class WorkerJobs {
  readonly #ctx: StageContext
  readonly #lanes = new Map<string, LanePool>()
  readonly #throttle: Throttle

  constructor(ctx: StageContext) {
    this.#ctx = ctx
    // a cap per worker process: the task's throttle is not shared across machines
    this.#throttle = new Throttle(ctx.config.throttle)
  }

  /** Run `job`; resolves once it committed, or with the reason it was dropped. */
  async run(job: QueuedJob): Promise<JobVerdict> {
    return job.kind === 'chunk' ? this.#chunk(job) : this.#step(job)
  }

  async #chunk(job: Extract<QueuedJob, { kind: 'chunk' }>): Promise<JobVerdict> {
    const key = `${job.database}\u001f${job.targetDb}`
    let lanes = this.#lanes.get(key)
    if (lanes === undefined) {
      lanes = new LanePool(this.#ctx, job.database, job.targetDb)
      this.#lanes.set(key, lanes)
    }
    const raw = job.job as unknown as CopyJob & { syncLsn: string | null }
    const copy: CopyJob = { ...raw, syncLsn: raw.syncLsn ?? undefined }
    // the coordinator holds it; if it is gone, importing it fails and the job is dropped
    const snapshot: HeldSnapshot = {
      name: copy.snapshot,
      consistentPoint: undefined,
      alive: () => true,
      release: async () => undefined,
    }
    try {
      await new ChunkJob({
        ctx: this.#ctx,
        lanes,
        throttle: this.#throttle,
        snapshot,
        database: job.database,
        table: job.table,
        job: copy,
      }).run()
      return undefined
    } catch (error) {
      if (error instanceof PgferryError && error.code === 'PGFERRY_FULLLOAD_SNAPSHOT_LOST')
        return `the load's snapshot is gone (its coordinator ended): ${error.message}`
      throw error
    }
  }

  async #step(job: Extract<QueuedJob, { kind: 'step' }>): Promise<JobVerdict> {
    const client = await this.#ctx.connect('target', { database: job.targetDb })
    try {
      await preparePostDataSession(client, job.searchPath)
      const step = job.step as unknown as DdlStep
      await runPostDataStep(client, this.#ctx, step, job.targetDb, job.copying)
      return undefined
    } finally {
      await client.end().catch(() => undefined)
    }
  }

  /** Close the COPY lanes. */
  async close(): Promise<void> {
    await Promise.all([...this.#lanes.values()].map((l) => l.close()))
    this.#lanes.clear()
  }
}
