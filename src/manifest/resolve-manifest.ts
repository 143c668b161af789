/**
 * Resolving the task's manifest (model/manifest.ts) once, and reading it back. The first stage that
 * writes (structure, or the full load of a task that starts there) resolves the selection against
 * the live source catalog, dependency closure included, and stores it; every later stage, and every
 * later call of the same stage, reads what was stored. The precheck reads the stored manifest too,
 * but before one exists it previews the selection without storing it: a precheck is what a caller
 * runs again after fixing the source, and freezing a selection that failed its check would hide
 * the fix.
 */
import type pg from 'pg'
import { PgferryError } from '../errors.js'
import { selectedDatabases } from '../catalog/selection.js'
import { readTaskSelection } from '../catalog/task-selection.js'
import { setDeparseSession } from '../catalog/deparse-session.js'
import type { DatabaseManifest, DatabaseObjects } from '../model/manifest.js'
import type { StageContext } from '../model/stage.js'
import { MANIFEST_KIND, readManifests } from './manifest-store.js'

/** A selection read now, as a manifest resolved by `stage`. */
export function toManifest(
  objects: DatabaseObjects,
  position: number,
  stage: string,
): DatabaseManifest {
  return {
    ...objects,
    format: 1,
    position,
    resolvedAt: new Date().toISOString(),
    resolvedBy: stage,
    added: [],
  }
}

/** Resolve the selection of every database of the task against the live source catalog. */
async function resolveManifests(ctx: StageContext): Promise<DatabaseManifest[]> {
  const admin = await ctx.connect('source')
  const databases = await selectedDatabases(ctx.config.objects, admin).finally(() => admin.end())
  const out: DatabaseManifest[] = []
  for (const [position, db] of databases.entries()) {
    const c: pg.Client = await ctx.connect('source', { database: db.name })
    try {
      // function identity arguments are deparsed text: read as the structure stage deparses
      await setDeparseSession(
        c,
        (db.schemas ?? []).filter((s) => s.as !== s.name).map((s) => s.name),
      )
      out.push(toManifest(await readTaskSelection(c, db, ctx.config.objects), position, ctx.stage))
    } finally {
      await c.end()
    }
  }
  return out
}

/**
 * The task's manifests, in database order: the stored ones, else resolved now and stored (all
 * databases in one store write, so a crash leaves all or none).
 */
export async function taskManifests(ctx: StageContext): Promise<DatabaseManifest[]> {
  const stored = await readManifests(ctx.store, ctx.taskId)
  if (stored.length > 0) return stored
  const resolved = await resolveManifests(ctx)
  await ctx.store.putProgress(
    ctx.taskId,
    resolved.map((m) => ({ kind: MANIFEST_KIND, key: m.database.name, value: m })),
  )
  return resolved
}

/** The manifest of source database `db` (resolved and stored first when the task has none). */
export async function databaseManifest(ctx: StageContext, db: string): Promise<DatabaseManifest> {
  const found = (await taskManifests(ctx)).find((m) => m.database.name === db)
  if (found === undefined)
    throw new PgferryError(
      'PGFERRY_INTERNAL',
      `database ${db} is not in the manifest of task ${ctx.taskId}`,
      {
        fix: 'the task migrates only the databases it resolved when it started; create a new task for this one',
      },
    )
  return found
}
