/**
 * Item `selection.objects-exist`: every database, schema, table, view, sequence and function the
 * selection names exists on the source — fail otherwise, naming each (a typo would otherwise
 * migrate less than the caller meant, silently).
 */
import { found, listNames, passed } from './precheck-item.js'
import type { PrecheckInput } from './precheck-input.js'
import type { PrecheckItem } from './precheck-report.js'

const ID = 'selection.objects-exist'
const TITLE = 'every selected object exists on the source'

export async function checkObjectsExist(input: PrecheckInput): Promise<PrecheckItem> {
  const missing: string[] = []
  for (const d of input.databases) {
    if (!d.exists) missing.push(`database ${d.db.name}`)
    for (const m of d.selection?.missing ?? []) missing.push(`${d.db.name}.${m}`)
  }
  if (missing.length === 0)
    return passed(ID, TITLE, `${input.databases.length} database(s); every named object exists`)
  return found(
    ID,
    TITLE,
    'fail',
    `not on the source: ${listNames(missing)}`,
    `remove them from the task's objects (or create them on the source), then run the precheck again`,
    missing,
  )
}
