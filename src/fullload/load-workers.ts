/**
 * The coordinator's hold on the workers' queue for one full-load call (issue 15): open it, rebuild
 * the task's jobs from the manifest rather than trust what an earlier run left there (unclaimed
 * jobs are cancelled; claimed ones are waited for, until their worker finishes or its heartbeat
 * times out, so that no job of a dead run commits after this run planned), and close it.
 */
import { PgferryError } from '../errors.js'
import type { StageContext } from '../model/stage.js'
import type { ResolvedWorkers, StoreAddress } from '../model/workers.js'
import { JobQueue } from '../queue/job-queue.js'
import { JobWatcher } from './job-watcher.js'

/** What a database's load needs to hand its work to workers. */
export interface LoadWorkers {
  readonly watcher: JobWatcher
  /** Where workers find the task's settings. */
  readonly store: StoreAddress
}

/** The task's store as workers reach it: the target connection, without its password. */
export function storeAddress(ctx: StageContext): StoreAddress {
  const t = ctx.config.target
  return { host: t.host, port: t.port, user: t.user, database: t.database, ssl: t.ssl !== false }
}

/** Open the queue for a load; undefined when the task has no workers. */
export async function openLoadWorkers(
  ctx: StageContext,
): Promise<{ workers: LoadWorkers; close: () => Promise<void> } | undefined> {
  const cfg = ctx.config.workers
  if (cfg === undefined) return undefined
  const queue = openQueue(cfg)
  try {
    await queue.start()
    await settleEarlierJobs(ctx, queue, cfg)
  } catch (error) {
    await queue.stop(false).catch(() => undefined)
    throw error
  }
  const watcher = new JobWatcher(ctx, queue, cfg.jobTimeoutSeconds)
  return {
    workers: { watcher, store: storeAddress(ctx) },
    close: async () => {
      watcher.close()
      // jobs still queued (the load failed or was aborted) are not left for the workers
      await queue.dropTask(ctx.taskId).catch(() => undefined)
      await queue.stop(false).catch(() => undefined)
    },
  }
}

/** Cancel what an earlier run left on the queue for this task (task.delete, a new run). */
export async function dropQueuedJobs(ctx: StageContext): Promise<void> {
  const cfg = ctx.config.workers
  if (cfg === undefined) return
  const queue = openQueue(cfg)
  try {
    await queue.start()
    await queue.dropTask(ctx.taskId)
  } finally {
    await queue.stop(false).catch(() => undefined)
  }
}

function openQueue(cfg: ResolvedWorkers): JobQueue {
  // the coordinator runs pg-boss's maintenance too: a dead worker's job expires even when no
  // other worker is running
  return new JobQueue(cfg.queue, {
    supervise: true,
    maintenanceSeconds: Math.max(1, Math.floor(cfg.jobTimeoutSeconds / 5)),
  })
}

async function settleEarlierJobs(
  ctx: StageContext,
  queue: JobQueue,
  cfg: ResolvedWorkers,
): Promise<void> {
  const deadline = Date.now() + (cfg.jobTimeoutSeconds * 3 + 60) * 1000
  for (;;) {
    ctx.signal.throwIfAborted()
    const active = await queue.dropTask(ctx.taskId)
    if (active === 0) return
    if (Date.now() > deadline) {
      throw new PgferryError(
        'PGFERRY_QUEUE_JOB_FAILED',
        `${active} job(s) of an earlier run of this task are still held by workers`,
        { retryable: true, fix: 'wait for those workers to finish (or stop them), then run again' },
      )
    }
    await new Promise((r) => setTimeout(r, 500))
  }
}
