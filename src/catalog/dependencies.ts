/**
 * Dependencies between source objects: what a selected view, function, trigger or foreign key needs
 * that the selection does not have. Filled in by the precheck work (issue 3); until then it reports
 * nothing missing.
 */
import type pg from 'pg'
import type { DatabaseObjects } from './selection.js'

/** One object the selection needs but does not include. */
export interface MissingDependency {
  /** The selected object, `schema.name`. */
  readonly object: string
  /** What it needs, `schema.name`. */
  readonly needs: string
  /** `view`, `function`, `trigger`, `foreign-key`, … */
  readonly via: string
}

/** Dependencies of the selected objects that are not selected. */
export async function missingDependencies(
  _client: pg.Client,
  _selection: DatabaseObjects,
): Promise<MissingDependency[]> {
  return []
}

/** The selection plus the closure of everything it depends on. */
export async function addDependencies(
  _client: pg.Client,
  selection: DatabaseObjects,
): Promise<DatabaseObjects> {
  return selection
}
