/**
 * The built-in structure stage (`migrateSchema`): the task's manifest is resolved here when no
 * earlier stage stored it (manifest/resolve-manifest.ts), then each of its databases gets its
 * structure on the target (database-structure.ts). For `instance` tasks the roles come first. Every
 * step is tracked in the store, so a re-run after a crash finishes what is missing.
 */
import { taskManifests } from '../manifest/resolve-manifest.js'
import type { Stage, StageContext } from '../model/stage.js'
import {
  SCHEMA_KEY_SEP,
  addStepsResult,
  migrateDatabaseStructure,
  openStructureRun,
  stepOptions,
  targetRoles,
  type StructureRun,
} from './database-structure.js'
import { planRoles } from './role-steps.js'
import { runSteps } from './run-steps.js'
import type { SchemaResult } from './schema-result.js'

export { SCHEMA_DONE_KIND } from './database-structure.js'

/** The roles of an `instance` task, before any database. */
async function migrateRoles(run: StructureRun): Promise<void> {
  const { ctx } = run
  const planned = await planRoles(
    run.src0,
    run.srcMajor,
    run.tgtMajor,
    ctx.config.target.user,
    run.roles,
    run.sharedComments,
    (code, message, object) => ctx.warn(code, message, object),
  )
  addStepsResult(run, await runSteps(run.tgt0, planned.steps, stepOptions(ctx, '', SCHEMA_KEY_SEP)))
  run.roles = await targetRoles(run.tgt0)
}

async function runSchema(ctx: StageContext): Promise<SchemaResult> {
  const manifests = await taskManifests(ctx)
  const run = await openStructureRun(
    ctx,
    manifests.map((m) => m.database.name),
  )
  if (ctx.config.objects.mode === 'instance') await migrateRoles(run)
  for (const m of manifests) {
    ctx.signal.throwIfAborted()
    await migrateDatabaseStructure(run, m)
  }
  ctx.emit('schema:done', {
    taskId: ctx.taskId,
    phase: ctx.config.type === 'structure' ? 'all' : 'pre-data',
    counts: run.created,
    skipped: run.alreadyDone,
  })
  return { created: run.created, alreadyDone: run.alreadyDone, unsupported: run.unsupported }
}

/** The built-in structure stage. */
export const schemaStage: Stage<SchemaResult> = {
  name: 'schema',
  state: 'running_structure',
  run: runSchema,
}
