/**
 * Default privileges (`ALTER DEFAULT PRIVILEGES FOR ROLE … [IN SCHEMA …]`), last of pre-data. They
 * only act on objects their role creates later; pgferry creates objects as the target user and
 * then hands them over, and every object with a non-default ACL gets its ACL explicitly, so their
 * place in the order does not change the migrated objects' privileges.
 *
 * A database-wide entry replaces the built-in defaults, so it is written as "revoke everything, then
 * grant what the source lists" (as pg_dump does); a schema entry only adds grants.
 */
import type { DefaultPrivilegeInfo } from '../catalog/default-privileges.js'
import { quoteIdent } from '../pg/quote.js'
import { schemaKey } from './step-keys.js'
import type { StepPlan } from './step-plan.js'

const OBJECTS: Readonly<Record<DefaultPrivilegeInfo['objectType'], string>> = {
  r: 'TABLES',
  S: 'SEQUENCES',
  f: 'FUNCTIONS',
  T: 'TYPES',
  n: 'SCHEMAS',
}

/** Add one step per default-privileges entry whose role and schema exist on the target. */
export function addDefaultPrivilegeSteps(
  plan: StepPlan,
  entries: readonly DefaultPrivilegeInfo[],
  targetSchemas: ReadonlyMap<string, string>,
): void {
  if (plan.ownership !== 'keep') return
  for (const d of entries) {
    const objects = OBJECTS[d.objectType]
    const schema = d.schema === null ? undefined : targetSchemas.get(d.schema)
    const label = `${d.role}${d.schema === null ? '' : ` in ${d.schema}`} on ${objects.toLowerCase()}`
    if (d.schema !== null && schema === undefined) continue
    if (!plan.targetRoles.has(d.role)) {
      plan.unsupportedObject(
        `default privileges for ${label}`,
        `role ${d.role} is missing on the target`,
      )
      continue
    }
    const head = `ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(d.role)}${schema === undefined ? '' : ` IN SCHEMA ${quoteIdent(schema)}`}`
    const sql: string[] = []
    if (schema === undefined) {
      sql.push(`${head} REVOKE ALL ON ${objects} FROM PUBLIC`)
      sql.push(`${head} REVOKE ALL ON ${objects} FROM ${quoteIdent(d.role)}`)
    }
    const groups = new Map<string, { to: string; grantable: boolean; privs: string[] }>()
    for (const g of d.grants) {
      if (g.grantee !== null && !plan.targetRoles.has(g.grantee)) continue
      const k = `${g.grantee ?? ''}\u0000${String(g.grantable)}`
      let e = groups.get(k)
      if (e === undefined)
        groups.set(
          k,
          (e = {
            to: g.grantee === null ? 'PUBLIC' : quoteIdent(g.grantee),
            grantable: g.grantable,
            privs: [],
          }),
        )
      e.privs.push(g.privilege)
    }
    for (const e of groups.values())
      sql.push(
        `${head} GRANT ${e.privs.join(', ')} ON ${objects} TO ${e.to}${e.grantable ? ' WITH GRANT OPTION' : ''}`,
      )
    plan.add(
      `default-privileges:${d.role}/${d.schema ?? ''}/${d.objectType}`,
      'default-privileges',
      label,
      'pre-data',
      sql,
      {
        dependsOn: schema === undefined ? [] : [schemaKey(schema)],
      },
    )
  }
}
