/**
 * The built-in incremental stage: starts one apply stream per migrated database from where the
 * full load's snapshot ends (or from the apply progress recorded on the target after a restart)
 * and returns at once with the running handle. `cleanup` (task.delete) stops a run of this
 * process, then drops the slots, publications and replication origins. Deleting twice is harmless.
 *
 * Stage call options (ctx.options): see {@link IncrementalOptions}.
 */
import { PgferryError } from '../errors.js'
import type { Stage, StageContext } from '../model/stage.js'
import { LOADED_DATABASE_KIND, type LoadedDatabase } from '../fullload/load-progress.js'
import { resolveApplyOptions, type IncrementalOptions } from './apply-options.js'
import { activeRun, IncrementalRun } from './incremental-run.js'
import type { IncrementalSync } from './incremental-sync.js'
import { dropReplicationObjects } from './drop-replication-objects.js'

async function run(ctx: StageContext<IncrementalOptions>): Promise<IncrementalSync> {
  const live = activeRun(ctx.taskId)
  if (live !== undefined) return live
  return IncrementalRun.start(ctx, resolveApplyOptions(ctx.options), true)
}

async function cleanup(ctx: StageContext): Promise<void> {
  await activeRun(ctx.taskId)
    ?.stop()
    .catch(() => undefined)
  const entries = await ctx.store.getProgress(ctx.taskId, LOADED_DATABASE_KIND)
  for (const e of entries) {
    const info = e.value as LoadedDatabase
    await dropReplicationObjects(ctx, info).catch((error: unknown) => {
      if (error instanceof PgferryError && error.code === 'PGFERRY_CONNECT_DATABASE_MISSING') return
      throw error
    })
  }
}

/** The built-in incremental stage. */
export const incrementalStage: Stage<IncrementalSync, IncrementalOptions> = {
  name: 'incremental',
  kind: 'stream',
  state: 'incremental_sync',
  checkOptions: (options) => void resolveApplyOptions(options),
  run,
  cleanup,
}
