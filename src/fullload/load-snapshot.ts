/**
 * Which snapshot a database's load copies under, and what it means for resume (database-load.ts
 * explains the rules): the slot's (first run of a `full+incremental` load, or after the slot was
 * lost), a temporary slot's with its consistent_point as the re-copied tables' sync LSN (a resumed
 * `full+incremental` load), or an exported one (`full`). Removes from `complete` the tables that
 * must be copied again.
 */
import type pg from 'pg'
import type { StageContext } from '../stage/stage.js'
import type { ResolvedDatabase } from '../task/resolve-config.js'
import type { DatabaseObjects, SelectedRelation } from '../catalog/selection.js'
import { readWeakReplicaIdentity } from '../catalog/replica-identity.js'
import { LOADED_DATABASE_KIND, type LoadedDatabase } from './load-progress.js'
import { assertPublicationCovers } from './publication-coverage.js'
import {
  DEFAULT_SLOT_TIMEOUT_MS,
  createSlotSnapshot,
  ensurePublication,
  exportSnapshot,
  publicationName,
  slotExists,
  slotName,
  type HeldSnapshot,
} from './snapshot.js'

/** The snapshot a load holds. */
export interface LoadSnapshot {
  /** Undefined when nothing is left to copy. */
  readonly snapshot: HeldSnapshot | undefined
  /** The re-copied tables' sync point (a resumed `full+incremental` load). */
  readonly syncLsn: string | undefined
  readonly info: LoadedDatabase
}

/** Hold the snapshot of one database's load. */
export async function holdLoadSnapshot(
  ctx: StageContext,
  src: pg.Client,
  srcVersion: number,
  db: ResolvedDatabase,
  selection: DatabaseObjects,
  units: readonly { readonly rel: SelectedRelation }[],
  complete: Set<number>,
): Promise<LoadSnapshot> {
  const { taskId, store } = ctx
  const incremental = ctx.config.type === 'full+incremental'
  const stored = (await store.getProgress(taskId, LOADED_DATABASE_KIND)).find(
    (e) => e.key === db.name,
  )?.value as LoadedDatabase | undefined
  let info: LoadedDatabase = stored ?? {
    sourceDatabase: db.name,
    targetDatabase: db.as,
    slot: null,
    publication: null,
    consistentPoint: null,
    complete: false,
  }
  const slotTimeoutMs =
    typeof ctx.options.slotTimeoutMs === 'number'
      ? ctx.options.slotTimeoutMs
      : DEFAULT_SLOT_TIMEOUT_MS
  let snapshot: HeldSnapshot | undefined
  let syncLsn: string | undefined
  const pendingAtStart = units.filter((u) => !complete.has(u.rel.oid))

  if (incremental) {
    const slot = slotName(taskId, db.name)
    const haveSlot = info.slot !== null && (await slotExists(src, info.slot))
    if (!haveSlot) {
      if (info.slot !== null) {
        ctx.warn(
          'PGFERRY_FULLLOAD_SLOT_LOST',
          `replication slot ${info.slot} of database ${db.name} is gone: the changes since its start are lost, so every table is copied again under a new slot`,
          db.name,
        )
        complete.clear()
      }
      const named = ctx.config.publication
      const publication = named ?? publicationName(taskId)
      const weak = await readWeakReplicaIdentity(
        src,
        units.map((u) => u.rel.oid),
      )
      if (weak.length > 0) {
        ctx.warn(
          'PGFERRY_FULLLOAD_NO_REPLICA_IDENTITY',
          `while publication ${publication} exists, UPDATE and DELETE fail on the source for tables without a primary key or replica identity: ${weak
            .slice(0, 20)
            .map((w) => `${w.schema}.${w.name}`)
            .join(', ')} (ALTER TABLE … REPLICA IDENTITY FULL, or add a primary key)`,
          db.name,
        )
      }
      if (named === undefined)
        await ensurePublication(src, publication, selection.relations, srcVersion)
      else await assertPublicationCovers(src, named, db.name, selection.relations, srcVersion)
      snapshot = await createSlotSnapshot(ctx, db.name, {
        slot,
        temporary: false,
        timeoutMs: slotTimeoutMs,
      })
      info = {
        ...info,
        slot,
        publication,
        consistentPoint: snapshot.consistentPoint ?? null,
        complete: false,
      }
      await store.putProgress(taskId, [{ kind: LOADED_DATABASE_KIND, key: db.name, value: info }])
    } else if (pendingAtStart.length > 0) {
      // A resume: the first run's snapshot is gone. Tablesync-style sync point for the re-copies.
      snapshot = await createSlotSnapshot(ctx, db.name, {
        slot: `${slot.slice(0, 50)}_s${Date.now().toString(36)}`.slice(0, 63),
        temporary: true,
        timeoutMs: slotTimeoutMs,
      })
      syncLsn = snapshot.consistentPoint
      ctx.warn(
        'PGFERRY_FULLLOAD_NEW_SNAPSHOT',
        `the snapshot of the interrupted load of ${db.name} is gone; ${pendingAtStart.length} unfinished table(s) are copied again under a new snapshot with sync LSN ${syncLsn ?? '?'} (their changes up to it are skipped by the incremental stage)`,
        db.name,
      )
    }
  } else if (pendingAtStart.length > 0) {
    snapshot = await exportSnapshot(ctx, db.name)
    if (complete.size > 0) {
      ctx.warn(
        'PGFERRY_FULLLOAD_NEW_SNAPSHOT',
        `the snapshot of the interrupted load of ${db.name} is gone; ${pendingAtStart.length} unfinished table(s) are copied again under a new snapshot, so they reflect a later moment than the ${complete.size} table(s) finished before`,
        db.name,
      )
    }
  }
  if (incremental && syncLsn !== undefined) {
    // Partitions of one root are re-copied together so the root has one sync point.
    const rootOf = (r: SelectedRelation): number => {
      let cur = r
      const byOid = new Map(selection.relations.map((x) => [x.oid, x]))
      while (cur.parentOid !== undefined && byOid.has(cur.parentOid))
        cur = byOid.get(cur.parentOid) as SelectedRelation
      return cur.oid
    }
    const dirtyRoots = new Set(
      units.filter((u) => !complete.has(u.rel.oid)).map((u) => rootOf(u.rel)),
    )
    for (const u of units) if (dirtyRoots.has(rootOf(u.rel))) complete.delete(u.rel.oid)
  }
  return { snapshot, syncLsn, info }
}
