/**
 * The explicit step that adds tables to a running task: `startIncremental(task, { addTables })`,
 * with the task's sync stopped. It is how a table created on the source during the sync (in a
 * schema the task migrates whole, typically) becomes part of what the task migrates; nothing else
 * changes the task's manifest after its first stage (model/manifest.ts).
 *
 * For each database: the manifest gets the tables (grow-manifest.ts says what is checked) and is
 * stored; the structure stage's per-database work creates them on the target (steps already done
 * are skipped); then the full load runs again, and its resume rules do the rest: the publication
 * is made to cover the manifest, the new tables (not complete) are copied under a temporary slot's
 * snapshot, and its consistent point becomes their sync LSN, so the stream that starts next skips
 * their changes committed before it, as PostgreSQL's tablesync does. Every part is idempotent: the
 * step can be called again after a crash.
 */
import { PgferryError } from '../errors.js'
import { fullLoadStage } from '../fullload/full-load-stage.js'
import { grownManifest } from '../manifest/grow-manifest.js'
import { checkTableRefs as checkAddTables, tablesByDatabase } from '../manifest/table-refs.js'
import { saveManifest } from '../manifest/manifest-store.js'
import { taskManifests } from '../manifest/resolve-manifest.js'
import type { DatabaseManifest, TableRef } from '../model/manifest.js'
import { migrateDatabaseStructure, openStructureRun } from '../schema/database-structure.js'
import type { StageContext } from '../model/stage.js'
import { activeRun } from './incremental-run.js'

export { checkAddTables }

function invalid(message: string, fix: string): PgferryError {
  return new PgferryError('PGFERRY_MANIFEST_ADD_INVALID', message, { fix })
}

/** Add `names` to the task's manifest, create them on the target and copy them (see above). */
export async function addTables(ctx: StageContext, names: readonly TableRef[]): Promise<void> {
  if (names.length === 0) return
  if (activeRun(ctx.taskId) !== undefined)
    throw invalid(
      `tables cannot be added while the sync of task ${ctx.taskId} runs: their copy needs a point the stream has not passed`,
      'await sync.stop(), then call startIncremental(task, { addTables }) again',
    )
  const grown: DatabaseManifest[] = []
  for (const [m, tables] of tablesByDatabase(await taskManifests(ctx), names)) {
    const src = await ctx.connect('source', { database: m.database.name })
    try {
      const next = await grownManifest(src, m, tables)
      if (next !== m) await saveManifest(ctx.store, ctx.taskId, next)
      grown.push(next)
    } finally {
      await src.end()
    }
  }
  const run = await openStructureRun(
    ctx,
    grown.map((m) => m.database.name),
  )
  for (const m of grown) await migrateDatabaseStructure(run, m)
  await fullLoadStage.run(ctx)
}
