/**
 * Item `target.replication-origins` (`full+incremental` only): the apply records its progress in
 * one replication origin per source database (apply/apply-progress.ts), and each takes a
 * replication state slot on the target that other subscribers' origins may already hold. Without
 * a free one, the sync fails at its start. A target user that may not use origins keeps progress
 * in a table instead and needs none. The setting needs a restart.
 */
import { readFunctionPrivileges } from '../catalog/function-privileges.js'
import { readOriginUse } from '../catalog/replication-origins.js'
import { originName } from '../apply/apply-progress.js'
import { sqlStateOf } from '../errors.js'
import { quoteIdent } from '../pg/quote.js'
import { found, passed, statements } from './precheck-item.js'
import type { PrecheckInput } from './precheck-input.js'
import type { PrecheckItem } from './precheck-report.js'

const ID = 'target.replication-origins'
const TITLE = 'target has a free replication origin per migrated database'

export async function checkReplicationOrigins(input: PrecheckInput): Promise<PrecheckItem> {
  if (!input.incremental)
    return passed(ID, TITLE, `not needed: a '${input.type}' task applies no changes`)
  if (
    !input.targetRole.superuser &&
    (await readFunctionPrivileges(input.target, ['pg_replication_origin_create(text)'])).length > 0
  )
    return passed(
      ID,
      TITLE,
      `not needed: target user '${input.targetRole.name}' may not use replication origins, so the apply keeps its progress in the table apply_progress of the task's target ledger (schema ${input.ctx.config.ledger.schema} of each target database)`,
    )
  let use: Awaited<ReturnType<typeof readOriginUse>>
  try {
    use = await readOriginUse(input.target, input.targetVersion.num)
  } catch (error) {
    // a user granted the origin functions but not the status view: the sync works, we cannot count
    if (sqlStateOf(error) !== '42501') throw error
    const user = quoteIdent(input.targetRole.name)
    return found(
      ID,
      TITLE,
      'warn',
      `target user '${input.targetRole.name}' may not read pg_replication_origin_status, so the free replication origins cannot be counted`,
      // the view reads a function that is not PUBLIC's either
      statements('target', undefined, [
        `GRANT SELECT ON pg_replication_origin_status TO ${user};`,
        `GRANT EXECUTE ON FUNCTION pg_show_replication_origin_status() TO ${user};`,
      ]),
    )
  }
  // a resumed task's own origins already hold their states
  const own = new Set(input.databases.map((d) => originName(input.ctx.taskId, d.db.name)))
  const needed = input.databases.filter(
    (d) => !use.held.includes(originName(input.ctx.taskId, d.db.name)),
  ).length
  const others = use.held.filter((h) => !own.has(h)).length
  const free = use.limit - use.held.length
  const text = `${use.setting} = ${use.limit} on the target, ${use.held.length} held (${others} by others), ${needed} more needed (one per migrated database)`
  if (free >= needed) return passed(ID, TITLE, text)
  return found(
    ID,
    TITLE,
    'fail',
    `too few replication origins: ${text}; the sync would fail at its start`,
    [
      {
        side: 'target',
        sql: `ALTER SYSTEM SET ${use.setting} = ${use.held.length + needed};`,
        restart: true,
      },
    ],
    [use.setting],
  )
}
