/**
 * What a task selects in one source database: the selection, plus the dependency closure when the
 * task asks for it. Its own file so that selection.ts and dependencies.ts do not import each other
 * (the closure re-reads the selection; the selection knows nothing of the closure).
 */
import type pg from 'pg'
import { addDependencies } from './dependencies.js'
import { readSelection, type DatabaseObjects } from './selection.js'
import type { ResolvedDatabase, ResolvedObjects } from '../model/resolved-objects.js'

/**
 * `readSelection`, plus the dependency closure when the task asks for it (`includeDependencies`,
 * always on for `instance`). The manifest is resolved through this, once per task.
 */
export async function readTaskSelection(
  client: pg.Client,
  db: ResolvedDatabase,
  objects: ResolvedObjects,
): Promise<DatabaseObjects> {
  const selection = await readSelection(client, db)
  return objects.includeDependencies ? addDependencies(client, selection) : selection
}
