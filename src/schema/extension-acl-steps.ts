/**
 * Privileges changed on extension members (pre-data, after the extension): `CREATE EXTENSION` gives
 * the target's members the extension's initial privileges, so each member whose source ACL differs
 * from those gets its grants set to the source's: the initial grantees' privileges revoked, then
 * the source ACL granted (pg_dump does the same through pg_init_privs).
 */
import type { ExtensionMemberAcl } from '../catalog/extension-member-acls.js'
import { quoteIdent } from '../pg/quote.js'
import type { SourceCatalog } from './source-catalog.js'
import { extensionKey } from './step-keys.js'
import type { StepPlan } from './step-plan.js'

/** Add one step per extension member whose privileges the source changed. */
export function addExtensionAclSteps(plan: StepPlan, cat: SourceCatalog): void {
  const targetSchema = new Map(cat.selection.schemas.map((s) => [s.name, s.as]))
  for (const m of cat.extensionMemberAcls) {
    const ext = extensionKey(m.extension)
    // an extension the target cannot install (reported) or plpgsql (never created by the plan)
    if (!plan.steps.has(ext)) continue
    const name = `${quoteIdent(targetSchema.get(m.schema) ?? m.schema)}.${m.name}`
    const grants = plan.grants(m.keyword, name, m.owner, { oid: 0, column: null, grants: m.grants })
    if (grants.length === 0) continue
    plan.add(
      `extension-acl:${m.keyword.toLowerCase()}:${name}`,
      'extension-acl',
      name,
      'pre-data',
      [...revokeInitial(plan, m, name), ...grants],
      { dependsOn: [ext] },
    )
  }
}

/** REVOKE what the initial privileges granted to roles other than PUBLIC and the owner. */
function revokeInitial(plan: StepPlan, m: ExtensionMemberAcl, name: string): string[] {
  return m.initialGrantees
    .filter((g): g is string => g !== null && g !== m.owner && plan.targetRoles.has(g))
    .map((g) => `REVOKE ALL ON ${m.keyword} ${name} FROM ${quoteIdent(g)}`)
}
