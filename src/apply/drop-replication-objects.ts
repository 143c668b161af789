/**
 * What the incremental sync leaves on the servers, removed: every source object the store records
 * (the slot, the publication, the replica identities pgferry set; remove-source-objects.ts) and
 * the replication origin (or the fallback progress row) on the target. Used at cutover
 * and by `task.delete()`; every part is idempotent, so a second call (or a crash in between) is
 * harmless.
 */
import type { StageContext } from '../stage/stage.js'
import type { LoadedDatabase } from '../fullload/load-progress.js'
import { dropSlot, slotExists } from '../fullload/snapshot.js'
import { quoteIdent } from '../pg/quote.js'
import { dropApplyProgress } from './apply-progress.js'
import { removeSourceObjects } from '../fullload/remove-source-objects.js'

/** What was there to drop. */
export interface DroppedObjects {
  readonly slot: boolean
  readonly publication: boolean
  readonly origin: boolean
}

/** Drop the slot, publication and origin of one migrated database. */
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
  let slot = removed.slots > 0
  let publication = removed.publications > 0
  // tasks whose objects were recorded only in `info` (before the source-object records)
  if (info.slot !== null || info.publication !== null) {
    const src = await ctx.connect('source', { database: info.sourceDatabase })
    try {
      if (info.slot !== null && (await slotExists(src, info.slot))) {
        await dropSlot(src, info.slot)
        slot = true
      }
      // a publication the DBA made (task option `publication`) is theirs: never dropped
      if (info.publication !== null && info.publication !== ctx.config.publication) {
        const r = await src.query(`SELECT 1 FROM pg_publication WHERE pubname = $1`, [
          info.publication,
        ])
        publication ||= (r.rowCount ?? 0) > 0
        await src.query(`DROP PUBLICATION IF EXISTS ${quoteIdent(info.publication)}`)
      }
    } finally {
      await src.end().catch(() => undefined)
    }
  }
  const tgt = await ctx.connect('target', { database: info.targetDatabase })
  try {
    const origin = await dropApplyProgress(tgt, ctx.taskId, info.sourceDatabase)
    return { slot, publication, origin }
  } finally {
    await tgt.end().catch(() => undefined)
  }
}
