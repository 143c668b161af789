/**
 * The built-in incremental stage: starts one apply stream per migrated database from where the
 * full load's snapshot ends (or from the apply progress recorded on the target after a restart)
 * and returns at once with the running handle. `cleanup` (task.delete) stops a run of this
 * process, then drops the slots, publications and replication origins, and the task's rows of the
 * target ledger. Deleting twice is harmless.
 *
 * Stage call options (ctx.options): see {@link IncrementalOptions}.
 */
import { PgferryError } from '../errors.js'
import type { Stage, StageContext } from '../model/stage.js'
import { readManifestState } from '../manifest/manifest-state.js'
import { loadedDatabases } from '../model/manifest-state.js'
import { resolveApplyOptions, type IncrementalOptions } from './apply-options.js'
import { activeRun, IncrementalRun } from './incremental-run.js'
import type { IncrementalSync } from './incremental-sync.js'
import { dropReplicationObjects } from './drop-replication-objects.js'
import { addTables, checkAddTables } from './add-tables.js'

async function run(ctx: StageContext<IncrementalOptions>): Promise<IncrementalSync> {
  // the explicit step that grows the task's manifest (add-tables.ts); it refuses a running sync
  await addTables(ctx, ctx.options.addTables ?? [])
  const live = activeRun(ctx.taskId)
  if (live !== undefined) return live
  return IncrementalRun.start(ctx, resolveApplyOptions(ctx.options), true)
}

async function cleanup(ctx: StageContext): Promise<void> {
  await activeRun(ctx.taskId)
    ?.stop()
    .catch(() => undefined)
  // each database's load record, typed and checked where it is read (manifest-state.ts)
  for (const info of loadedDatabases(await readManifestState(ctx.store, ctx.taskId))) {
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
  checkOptions: (options) => {
    resolveApplyOptions(options)
    checkAddTables(options)
  },
  run,
  cleanup,
}
