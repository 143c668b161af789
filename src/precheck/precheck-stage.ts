/**
 * The built-in precheck stage. Runs every item, never throws for a failing one, and emits
 * `precheck:item` per item. Items live one per file beside this one; each reads the catalogs
 * through set-based queries (one per database), one item after another over shared clients.
 */
import { PgferryError, messageOf } from '../errors.js'
import type { Stage, StageContext } from '../model/stage.js'
import type { ObjectSelection } from '../model/task-config.js'
import type { PrecheckItem, PrecheckOptions, PrecheckReport } from './precheck-report.js'
import { PRECHECK_ITEM_IDS, type PrecheckItemId } from './precheck-items.js'
import { checkConnectivity } from './connectivity.js'
import { gatherInput, type PrecheckInput } from './precheck-input.js'
import { checkVersion } from './version.js'
import { checkObjectsExist } from './objects-exist.js'
import { checkDependencies } from './dependencies.js'
import { checkReplicationRole } from './replication-role.js'
import { checkPrivileges } from './privileges.js'
import { checkPublication } from './publication.js'
import { checkCutoverFence } from './cutover-fence.js'
import { checkWalLevel } from './wal-level.js'
import { checkReplicationCapacity } from './replication-capacity.js'
import { checkSlotSettings } from './slot-settings.js'
import { checkOpenTransactions } from './open-transactions.js'
import { checkReplicaIdentity } from './replica-identity.js'
import { checkUnloggedTables } from './unlogged-tables.js'
import { checkBandwidth } from './bandwidth.js'
import { checkExtensions } from './extensions.js'
import { checkEncoding } from './encoding.js'
import { checkSettings } from './settings.js'
import { checkFreeSpace } from './free-space.js'
import { checkNameConflicts } from './name-conflicts.js'
import { checkRoleConflicts } from './role-conflicts.js'
import { checkDatabaseOwnership } from './database-ownership.js'
import { checkWorkerProcesses } from './worker-processes.js'
import { checkReplicationOrigins } from './replication-origins.js'

type Check = (input: PrecheckInput) => Promise<PrecheckItem>

/** Items that need both servers, by id. `selection.dependencies` is run apart (it has a closure). */
const CHECKS: readonly (readonly [PrecheckItemId, Check])[] = [
  ['target.version', checkVersion],
  ['selection.objects-exist', checkObjectsExist],
  ['source.replication-role', checkReplicationRole],
  ['source.privileges', checkPrivileges],
  ['source.publication', checkPublication],
  ['source.cutover-fence', checkCutoverFence],
  ['source.wal-level', checkWalLevel],
  ['source.replication-capacity', checkReplicationCapacity],
  ['source.slot-settings', checkSlotSettings],
  ['source.open-transactions', checkOpenTransactions],
  ['source.replica-identity', checkReplicaIdentity],
  ['source.unlogged-tables', checkUnloggedTables],
  ['source.bandwidth', checkBandwidth],
  ['target.extensions', checkExtensions],
  ['target.encoding', checkEncoding],
  ['target.settings', checkSettings],
  ['target.free-space', checkFreeSpace],
  ['target.name-conflicts', checkNameConflicts],
  ['target.role-conflicts', checkRoleConflicts],
  ['target.database-ownership', checkDatabaseOwnership],
  ['target.worker-processes', checkWorkerProcesses],
  ['target.replication-origins', checkReplicationOrigins],
]

/** An item whose check could not run (a catalog query failed): it fails, so nothing unchecked passes. */
function unchecked(id: string, error: unknown): PrecheckItem {
  return {
    id,
    title: id,
    status: 'fail',
    message: `could not be checked: ${messageOf(error)}`,
    fix: `give the ${id.split('.')[0] === 'target' ? 'target' : 'source'} user the rights to read the catalog this needs, or skip '${id}' with precheck({ skip })`,
    cliFix: `give the ${id.split('.')[0] === 'target' ? 'target' : 'source'} user the rights to read the catalog this needs, or pass --skip ${id}`,
  }
}

async function guarded(id: string, run: () => Promise<PrecheckItem>): Promise<PrecheckItem> {
  try {
    return await run()
  } catch (error) {
    return unchecked(id, error)
  }
}

function checkSkip(value: unknown): Set<string> {
  const skip = new Set((value as readonly string[] | undefined) ?? [])
  const known = new Set<string>(PRECHECK_ITEM_IDS)
  const unknown = [...skip].filter((id) => !known.has(id))
  if (unknown.length > 0)
    throw new PgferryError(
      'PGFERRY_PRECHECK_ITEM_UNKNOWN',
      `the precheck items to skip include unknown item(s): ${unknown.join(', ')}`,
      {
        fix: `use ids from PRECHECK_ITEM_IDS: ${PRECHECK_ITEM_IDS.join(', ')}`,
        cliFix: `pass --skip with ids from: ${PRECHECK_ITEM_IDS.join(', ')}`,
      },
    )
  return skip
}

/** Run the items and build the report; `skip` (from the call's options) turns items into `skipped`. */
async function runPrecheck(ctx: StageContext<PrecheckOptions>): Promise<PrecheckReport> {
  const skip = checkSkip(ctx.options.skip)
  const items: PrecheckItem[] = [...(await checkConnectivity(ctx))]
  let closure: ObjectSelection | undefined
  if (items.every((i) => i.status === 'pass')) {
    let input: PrecheckInput | undefined
    let gatherError: unknown
    try {
      input = await gatherInput(ctx)
    } catch (error) {
      ctx.signal.throwIfAborted()
      gatherError = error
    }
    if (input === undefined) {
      for (const id of PRECHECK_ITEM_IDS.slice(2)) items.push(unchecked(id, gatherError))
    } else {
      // one after another: items share clients, and a pg client runs one query at a time
      const deps = await checkDependencies(input).catch((error: unknown) => ({
        item: unchecked('selection.dependencies', error),
        closure: undefined,
      }))
      items.push(deps.item)
      closure = deps.closure
      for (const [id, check] of CHECKS) {
        ctx.signal.throwIfAborted()
        const ready = input
        items.push(await guarded(id, () => check(ready)))
      }
    }
  }
  ctx.signal.throwIfAborted()
  const order = (id: string): number => PRECHECK_ITEM_IDS.indexOf(id as PrecheckItemId)
  items.sort((a, b) => order(a.id) - order(b.id))
  const final = items.map((item): PrecheckItem =>
    skip.has(item.id) && item.status !== 'pass'
      ? { ...item, status: 'skipped', message: `skipped by the caller: ${item.message}` }
      : item,
  )
  for (const item of final)
    ctx.emit('precheck:item', {
      taskId: ctx.taskId,
      id: item.id,
      status: item.status,
      message: item.message,
      ...(item.fix !== undefined ? { fix: item.fix } : {}),
      ...(item.cliFix !== undefined ? { cliFix: item.cliFix } : {}),
    })
  await ctx.store.updateTask(ctx.taskId, { skippedChecks: [...skip] })
  return {
    ok: final.every((i) => i.status !== 'fail'),
    items: final,
    ...(closure !== undefined ? { closure } : {}),
  }
}

/** The built-in precheck stage. */
export const precheckStage: Stage<PrecheckReport, PrecheckOptions> = {
  name: 'precheck',
  kind: 'gate',
  checkOptions: (options) => void checkSkip(options.skip),
  run: runPrecheck,
}
