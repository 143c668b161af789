/**
 * Item `target.database-ownership`: the target user owns (or is a member of the owner of, or is a
 * superuser over) every target database that already exists — the structure stage creates
 * schemas, extensions and database settings there; it may create a target database that does not
 * exist yet (CREATEDB); and for an `instance` task it may create roles (CREATEROLE). Fail, with the
 * ALTER DATABASE … OWNER TO / ALTER ROLE statements.
 */
import { quoteIdent } from '../pg/quote.js'
import { found, passed, statements } from './precheck-item.js'
import type { PrecheckInput } from './precheck-input.js'
import type { PrecheckFix, PrecheckItem } from './precheck-report.js'

const ID = 'target.database-ownership'
const TITLE = 'target user owns or can create each target database'

export async function checkDatabaseOwnership(input: PrecheckInput): Promise<PrecheckItem> {
  const role = input.targetRole
  const user = quoteIdent(role.name)
  const problems: string[] = []
  const sql: string[] = []
  const objects: string[] = []
  const toCreate: string[] = []
  for (const d of input.databases) {
    const t = input.targetDatabases.get(d.db.as)
    if (t === undefined) {
      toCreate.push(d.db.as)
      continue
    }
    if (t.owned) continue
    problems.push(`target database ${d.db.as} is owned by ${t.owner}`)
    objects.push(d.db.as)
    sql.push(`ALTER DATABASE ${quoteIdent(d.db.as)} OWNER TO ${user};`)
  }
  if (toCreate.length > 0 && !role.superuser && !role.createdb) {
    problems.push(
      `target database ${toCreate.join(', ')} does not exist and '${role.name}' may not create databases`,
    )
    objects.push(...toCreate)
    sql.push(`ALTER ROLE ${user} CREATEDB;`)
  }
  if (input.ctx.config.objects.mode === 'instance' && !role.superuser && !role.createrole) {
    problems.push(`an instance task creates roles and '${role.name}' may not`)
    objects.push(role.name)
    sql.push(`ALTER ROLE ${user} CREATEROLE;`)
  }
  if (problems.length === 0)
    return passed(
      ID,
      TITLE,
      role.superuser
        ? `target user '${role.name}' is a superuser`
        : `target user '${role.name}' owns ${input.databases.length - toCreate.length} target database(s)${toCreate.length > 0 ? ` and may create ${toCreate.join(', ')}` : ''}`,
    )
  const fixes: PrecheckFix[] = statements('target', undefined, sql)
  return found(ID, TITLE, 'fail', problems.join('; '), fixes, objects)
}
