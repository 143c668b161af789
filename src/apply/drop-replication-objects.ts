/**
 * What the incremental sync leaves on the servers, removed: every source object the store records
 * (the slot, the publication, the replica identities pgferry set; remove-source-objects.ts) and
 * the replication origin on the target, and the task's rows of the target ledger there (chunk
 * rows, post-data marks, the fallback progress row; the ledger's tables and schema too once no
 * task uses them, model/target-ledger.ts). Used at cutover and by `task.delete()`; every part is idempotent, so a second call (or a crash in between) is
 * harmless.
 */
import type { StageContext } from '../model/stage.js'
import type { LoadedDatabase } from '../fullload/load-progress.js'
import { dropApplyProgress } from './apply-progress.js'
import { releaseLedger } from '../store/target-ledger.js'
import { removeLoadedObjects, removeSourceObjects } from '../fullload/remove-source-objects.js'

/** What was there to drop. */
export interface DroppedObjects {
  readonly slot: boolean
  readonly publication: boolean
  readonly origin: boolean
}

/** Drop the slot, publication, origin and target ledger rows of one migrated database. */
export async function dropReplicationObjects(
  ctx: StageContext,
  info: LoadedDatabase,
): Promise<DroppedObjects> {
  const removed = await removeSourceObjects(
    ctx.config.source,
    ctx.store,
    ctx.taskId,
    info.sourceDatabase,
  )
  // tasks whose objects were recorded only in `info` (before the source-object records)
  const loaded = await removeLoadedObjects(ctx, info)
  const slot = removed.slots > 0 || loaded.slot
  const publication = removed.publications > 0 || loaded.publication
  const tgt = await ctx.connect('target', { database: info.targetDatabase })
  try {
    const origin = await dropApplyProgress(tgt, ctx.config.ledger, ctx.taskId, info.sourceDatabase)
    await releaseLedger(tgt, ctx.config.ledger, ctx.taskId, info.sourceDatabase)
    return { slot, publication, origin }
  } finally {
    await tgt.end().catch(() => undefined)
  }
}
