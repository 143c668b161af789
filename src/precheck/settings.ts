/**
 * Item `target.settings`: session settings that change how values read or sort — TimeZone,
 * DateStyle, IntervalStyle, lc_monetary/lc_numeric/lc_time, default_text_search_config,
 * standard_conforming_strings, bytea_output — compared as a session of each side sees them in the
 * migrated database (so database- and role-level settings count). A difference is a warning:
 * applications switched to the target would see other output. The fix sets the source's value on
 * the target database (ALTER DATABASE … SET), or server-wide when that database does not exist yet.
 */
import { readSettings } from '../catalog/settings.js'
import { quoteIdent, quoteLiteral } from '../pg/quote.js'
import { found, passed, statements } from './precheck-item.js'
import { readable, type PrecheckInput } from './precheck-input.js'
import type { PrecheckFix, PrecheckItem } from './precheck-report.js'

const ID = 'target.settings'
const TITLE = 'target session settings match the source'

/** Settings compared. */
export const COMPARED_SETTINGS = [
  'TimeZone',
  'DateStyle',
  'IntervalStyle',
  'lc_monetary',
  'lc_numeric',
  'lc_time',
  'default_text_search_config',
  'standard_conforming_strings',
  'bytea_output',
] as const

export async function checkSettings(input: PrecheckInput): Promise<PrecheckItem> {
  const problems: string[] = []
  const fixes: PrecheckFix[] = []
  const objects: string[] = []
  for (const { db, client } of readable(input)) {
    const exists = input.targetDatabases.has(db.as)
    let target
    try {
      target = exists ? await input.targetClient(db.as) : input.target
    } catch {
      continue // target.database-ownership reports a database the target user cannot open
    }
    const [s, t] = await Promise.all([
      readSettings(client, COMPARED_SETTINGS),
      readSettings(target, COMPARED_SETTINGS),
    ])
    const sql: string[] = []
    for (const name of COMPARED_SETTINGS) {
      const a = s.get(name)?.setting
      const b = t.get(name)?.setting
      if (a === undefined || b === undefined || a === b) continue
      problems.push(`${name}: source ${db.name} '${a}', target ${db.as} '${b}'`)
      objects.push(name)
      sql.push(
        exists
          ? `ALTER DATABASE ${quoteIdent(db.as)} SET ${quoteIdent(name)} TO ${quoteLiteral(a)};`
          : `ALTER SYSTEM SET ${quoteIdent(name)} TO ${quoteLiteral(a)};`,
      )
    }
    if (sql.length > 0)
      fixes.push(
        ...statements('target', undefined, exists ? sql : [...sql, 'SELECT pg_reload_conf();']),
      )
  }
  if (problems.length === 0)
    return passed(ID, TITLE, `${COMPARED_SETTINGS.join(', ')} are the same on both sides`)
  return found(ID, TITLE, 'warn', `settings differ: ${problems.join('; ')}`, fixes, [
    ...new Set(objects),
  ])
}
