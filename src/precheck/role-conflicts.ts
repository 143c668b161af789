/**
 * Item `target.role-conflicts`: an `instance` task creates the source's roles on the target, so a
 * target role of the same name is a conflict — fail. Not counted: predefined `pg_*` roles, the
 * bootstrap superuser of each side (oid 10: the target's own admin), and the target user itself
 * (pgferry connects as it; its attributes are the target's to decide). A selection task creates
 * no roles.
 */
import { listInstanceRoleNames } from '../catalog/role-attributes.js'
import { quoteIdent } from '../pg/quote.js'
import { found, listNames, passed, statements } from './precheck-item.js'
import type { PrecheckInput } from './precheck-input.js'
import type { PrecheckItem } from './precheck-report.js'

const ID = 'target.role-conflicts'
const TITLE = 'no migrated role already exists on the target'

export async function checkRoleConflicts(input: PrecheckInput): Promise<PrecheckItem> {
  if (input.ctx.config.objects.mode !== 'instance')
    return passed(ID, TITLE, 'not needed: a selection task migrates no roles')
  if (input.structureStarted)
    return passed(
      ID,
      TITLE,
      `the structure stage has run: the roles on the target are this task's own`,
    )
  const [source, target] = await Promise.all([
    listInstanceRoleNames(input.source),
    listInstanceRoleNames(input.target),
  ])
  const onTarget = new Set(target)
  const clash = source.filter((r) => onTarget.has(r) && r !== input.targetRole.name)
  if (clash.length === 0)
    return passed(ID, TITLE, `none of the source's ${source.length} role(s) exists on the target`)
  return found(
    ID,
    TITLE,
    'fail',
    `roles already on the target: ${listNames(clash)} (a role that owns objects needs REASSIGN OWNED BY … TO …; DROP OWNED BY …; in each database first)`,
    statements(
      'target',
      undefined,
      clash.map((r) => `DROP ROLE IF EXISTS ${quoteIdent(r)};`),
    ),
    clash,
  )
}
