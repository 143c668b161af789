/**
 * The built-in precheck stage. Runs every item, never throws for a failing one, and emits
 * `precheck:item` per item. Items live one per file beside this one.
 */
import type { Stage, StageContext } from '../stage/stage.js'
import type { PrecheckItem, PrecheckReport } from './precheck-report.js'
import { checkConnectivity } from './connectivity.js'

/** Run the items and build the report; `skip` (from the call's options) turns items into `skipped`. */
async function runPrecheck(ctx: StageContext): Promise<PrecheckReport> {
  const skip = new Set((ctx.options.skip as readonly string[] | undefined) ?? [])
  const items: PrecheckItem[] = []
  for (const item of await checkConnectivity(ctx)) {
    items.push(
      skip.has(item.id) && item.status !== 'pass'
        ? { ...item, status: 'skipped', message: `skipped by the caller: ${item.message}` }
        : item,
    )
  }
  for (const item of items)
    ctx.emit('precheck:item', {
      taskId: ctx.taskId,
      id: item.id,
      status: item.status,
      message: item.message,
    })
  if (skip.size > 0) await ctx.store.updateTask(ctx.taskId, { skippedChecks: [...skip] })
  return { ok: items.every((i) => i.status !== 'fail'), items }
}

/** The built-in precheck stage. */
export const precheckStage: Stage<PrecheckReport> = { name: 'precheck', run: runPrecheck }
