/**
 * Item `source.unlogged-tables`: unlogged (and temporary) tables and sequences write no WAL, so
 * logical replication never sees their changes — a `full+incremental` task fails on them. The fix
 * is SET LOGGED, or leaving them out of the selection (`exclude`). A `full` or `structure` task
 * copies them as they are.
 */
import { quoteQualified } from '../pg/quote.js'
import { found, listNames, passed, statements } from './precheck-item.js'
import { readable, type PrecheckInput } from './precheck-input.js'
import type { PrecheckFix, PrecheckItem } from './precheck-report.js'

const ID = 'source.unlogged-tables'
const TITLE = 'no unlogged or temporary table selected'

export async function checkUnloggedTables(input: PrecheckInput): Promise<PrecheckItem> {
  const fixes: PrecheckFix[] = []
  const names: string[] = []
  const excludes: string[] = []
  for (const { db, selection } of readable(input)) {
    const bad = selection.relations.filter((r) => r.persistence !== 'p')
    if (bad.length === 0) continue
    names.push(...bad.map((r) => `${db.name}.${r.schema}.${r.name}`))
    excludes.push(
      ...bad.map((r) => `databases.${db.name}.schemas.${r.schema}.exclude: ['${r.name}']`),
    )
    fixes.push(
      ...statements(
        'source',
        db.name,
        bad.map(
          (r) =>
            `ALTER ${r.kind === 'S' ? 'SEQUENCE' : 'TABLE'} ${quoteQualified(r.schema, r.name)} SET LOGGED;`,
        ),
      ),
    )
  }
  if (names.length === 0) return passed(ID, TITLE, 'every selected table is logged')
  if (!input.incremental)
    return passed(
      ID,
      TITLE,
      `unlogged, copied once as they are (a '${input.type}' task does not replicate changes): ${listNames(names)}`,
    )
  return found(
    ID,
    TITLE,
    'fail',
    `unlogged or temporary, so their changes cannot be replicated: ${listNames(names)}; make them logged, or leave them out of the selection (objects: ${listNames(excludes)})`,
    fixes,
    names,
  )
}
