/**
 * Item `selection.dependencies`: objects must be migrated with what they depend on — a view with
 * the tables and views it reads, a function, procedure or trigger with what it uses, a table with
 * the tables its foreign keys point to, a partition with its parent (catalog/dependencies.ts says
 * how each is found). Fail, naming each missing dependency; `report.closure` is the selection with
 * them added, and `objects.includeDependencies: true` adds them automatically (then this passes).
 */
import {
  addDependencies,
  missingDependencies,
  type MissingDependency,
} from '../catalog/dependencies.js'
import type { ResolvedDatabase } from '../model/resolved-objects.js'
import type { ObjectSelection } from '../model/task-config.js'
import { toObjectSelection } from './closure-selection.js'
import { found, listNames, passed } from './precheck-item.js'
import type { PrecheckInput } from './precheck-input.js'
import type { PrecheckItem } from './precheck-report.js'

const ID = 'selection.dependencies'
const TITLE = 'every selected object comes with what it depends on'

/** The item, and the selection that would pass when it fails. */
export async function checkDependencies(
  input: PrecheckInput,
): Promise<{ item: PrecheckItem; closure: ObjectSelection | undefined }> {
  const missing: string[] = []
  const objects: string[] = []
  const closed: ResolvedDatabase[] = []
  for (const d of input.databases) {
    if (d.client === undefined || d.selection === undefined) {
      closed.push(d.db)
      continue
    }
    const deps: MissingDependency[] = await missingDependencies(d.client, d.selection)
    if (deps.length === 0) {
      closed.push(d.selection.database)
      continue
    }
    for (const m of deps) {
      missing.push(`${d.db.name}: ${m.object} needs ${m.needs} (${m.via})`)
      objects.push(`${d.db.name}.${m.needs}`)
    }
    closed.push((await addDependencies(d.client, d.selection)).database)
  }
  const included = input.ctx.config.objects.includeDependencies
  if (missing.length === 0)
    return {
      item: passed(
        ID,
        TITLE,
        included
          ? 'the selection includes its dependencies (includeDependencies, --include-dependencies)'
          : 'no selected object depends on an unselected one',
      ),
      closure: undefined,
    }
  const closure = toObjectSelection(closed)
  return {
    item: found(
      ID,
      TITLE,
      'fail',
      `missing dependencies: ${listNames(missing)}`,
      {
        fix: `add them to the selection — report.closure is the selection that passes: ${JSON.stringify(closure)} — or create the task with objects: { …, includeDependencies: true }`,
        cliFix: `add them to the selection (--tables, or the "objects" of --config FILE; this selection passes: ${JSON.stringify(closure)}), or run again with --include-dependencies`,
      },
      [...new Set(objects)],
    ),
    closure,
  }
}
