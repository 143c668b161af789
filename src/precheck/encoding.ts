/**
 * Item `target.encoding`: a target database that already exists must have the source database's
 * encoding (text that does not fit the target's encoding cannot be loaded) — fail; a different
 * collation or character classification changes sort order and index order — warn. An encoding
 * cannot be changed in place: the fix recreates the (still empty) target database, owned by the
 * target user. A target database that does not exist yet is created by the structure stage.
 */
import { quoteIdent, quoteLiteral } from '../pg/quote.js'
import type { DatabaseFacts } from '../catalog/database-facts.js'
import { found, passed, statements } from './precheck-item.js'
import type { PrecheckInput } from './precheck-input.js'
import type { PrecheckFix, PrecheckItem } from './precheck-report.js'

const ID = 'target.encoding'
const TITLE = 'target databases have the source encoding and locale'

function recreate(name: string, like: DatabaseFacts, owner: string): string[] {
  return [
    `DROP DATABASE ${quoteIdent(name)};`,
    `CREATE DATABASE ${quoteIdent(name)} OWNER ${quoteIdent(owner)} TEMPLATE template0 ENCODING ${quoteLiteral(like.encoding)} LC_COLLATE ${quoteLiteral(like.collate)} LC_CTYPE ${quoteLiteral(like.ctype)};`,
  ]
}

export async function checkEncoding(input: PrecheckInput): Promise<PrecheckItem> {
  let status: 'pass' | 'warn' | 'fail' = 'pass'
  const problems: string[] = []
  const fixes: PrecheckFix[] = []
  const objects: string[] = []
  const notes: string[] = []
  for (const d of input.databases) {
    const s = input.sourceDatabases.get(d.db.name)
    if (s === undefined) continue
    const t = input.targetDatabases.get(d.db.as)
    if (t === undefined) {
      notes.push(`${d.db.as} will be created with ${s.encoding}`)
      continue
    }
    if (s.encoding !== t.encoding) {
      status = 'fail'
      problems.push(
        `${d.db.as} is ${t.encoding}, the source database ${d.db.name} is ${s.encoding}`,
      )
    } else if (s.collate !== t.collate || s.ctype !== t.ctype) {
      if (status === 'pass') status = 'warn'
      problems.push(
        `${d.db.as} has LC_COLLATE ${t.collate} / LC_CTYPE ${t.ctype}, the source database ${d.db.name} has ${s.collate} / ${s.ctype} (sort order may differ)`,
      )
    } else {
      notes.push(`${d.db.as}: ${t.encoding}, ${t.collate}`)
      continue
    }
    objects.push(d.db.as)
    fixes.push(...statements('target', undefined, recreate(d.db.as, s, input.targetRole.name)))
  }
  if (status === 'pass') return passed(ID, TITLE, notes.join('; ') || 'no database selected')
  return found(
    ID,
    TITLE,
    status,
    `${problems.join('; ')}; the fix drops and recreates the target database (run it from another database, while it is still empty)`,
    fixes,
    objects,
  )
}
