/**
 * Which snapshot a database's load copies under, and what it means for resume (database-load.ts
 * explains the rules): the slot's (first run of a `full+incremental` load, or after the slot was
 * lost), a temporary slot's with its consistent_point as the re-copied tables' sync LSN (a resumed
 * `full+incremental` load), or an exported one (`full`). Removes from `complete` the tables that
 * must be copied again.
 */
import type pg from 'pg'
import type { StageContext } from '../model/stage.js'
import type { ResolvedDatabase } from '../model/resolved-objects.js'
import type { DatabaseObjects, SelectedRelation } from '../catalog/selection.js'
import { publishSelection } from './task-publication.js'
import { readSlotRetention } from '../catalog/slot-retention.js'
import { recordSourceObjects } from '../store/source-objects.js'
import { removeSourceObjects } from './remove-source-objects.js'
import { LOADED_DATABASE_KIND, type LoadedDatabase } from './load-progress.js'
import { ancestorsOf } from './sync-points.js'
import {
  DEFAULT_SLOT_TIMEOUT_MS,
  createSlotSnapshot,
  exportSnapshot,
  publicationName,
  dropSlot,
  slotExists,
  slotName,
  type HeldSnapshot,
} from './snapshot.js'
import { readManifestState } from '../manifest/manifest-state.js'
import { databaseState } from '../model/manifest-state.js'

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
  const stored = databaseState(await readManifestState(ctx.store, ctx.taskId), db.name)?.load
  const info: LoadedDatabase = stored ?? {
    sourceDatabase: db.name,
    targetDatabase: db.as,
    slot: null,
    publication: null,
    consistentPoint: null,
    complete: false,
  }
  const pending = units.filter((u) => !complete.has(u.rel.oid)).length
  if (ctx.config.type !== 'full+incremental') {
    if (pending === 0) return { snapshot: undefined, syncLsn: undefined, info }
    const snapshot = await exportSnapshot(ctx, db.name)
    if (complete.size > 0)
      ctx.warn(
        'PGFERRY_FULLLOAD_NEW_SNAPSHOT',
        newSnapshotMessage(db.name, units, complete, undefined),
        db.name,
      )
    return { snapshot, syncLsn: undefined, info }
  }
  const held = await holdSlotSnapshot(ctx, src, srcVersion, db, selection, info, complete, units)
  if (held.syncLsn !== undefined) recopyWholeRoots(selection, units, complete)
  return held
}

/** `full+incremental`: the task's slot (created now, or kept from an earlier run) and its snapshot. */
async function holdSlotSnapshot(
  ctx: StageContext,
  src: pg.Client,
  srcVersion: number,
  db: ResolvedDatabase,
  selection: DatabaseObjects,
  info: LoadedDatabase,
  complete: Set<number>,
  units: readonly { readonly rel: SelectedRelation }[],
): Promise<LoadSnapshot> {
  const pending = units.filter((u) => !complete.has(u.rel.oid)).length
  // a slot PostgreSQL invalidated (wal_status 'lost') exists but can stream nothing: as if gone
  const haveSlot =
    info.slot !== null &&
    (await readSlotRetention(src, info.slot, srcVersion).then(
      (r) => r.exists && r.walStatus !== 'lost',
    ))
  if (!haveSlot) {
    if (info.slot !== null) {
      ctx.warn(
        'PGFERRY_FULLLOAD_SLOT_LOST',
        `replication slot ${info.slot} of database ${db.name} is gone or was invalidated: the changes since its start are lost, so every table is copied again under a new slot`,
        db.name,
      )
      complete.clear()
    }
    return createTaskSlot(ctx, src, srcVersion, db, selection, info)
  }
  // A resume: the publication covers the selection again (it may have been altered or
  // dropped by hand, or the selection's tables created again since).
  if (info.publication !== null)
    await publishSelection(ctx, src, srcVersion, db.name, info.publication, selection.relations)
  if (pending === 0) return { snapshot: undefined, syncLsn: undefined, info }
  // A resume: the first run's snapshot is gone. Tablesync-style sync point for the re-copies.
  const snapshot = await createSlotSnapshot(ctx, db.name, {
    slot: `${slotName(ctx.taskId, db.name).slice(0, 50)}_s${Date.now().toString(36)}`.slice(0, 63),
    temporary: true,
    timeoutMs: slotTimeoutMs(ctx),
  })
  const syncLsn = snapshot.consistentPoint
  ctx.warn(
    'PGFERRY_FULLLOAD_NEW_SNAPSHOT',
    newSnapshotMessage(db.name, units, complete, syncLsn ?? '?'),
    db.name,
  )
  return { snapshot, syncLsn, info }
}

/**
 * The warning for tables copied under a snapshot later than the finished tables': worded for why,
 * an interrupted load or tables added to the task since its load (`addTables`), or both.
 */
function newSnapshotMessage(
  database: string,
  units: readonly { readonly rel: SelectedRelation }[],
  complete: ReadonlySet<number>,
  syncLsn: string | undefined,
): string {
  const pending = units.filter((u) => !complete.has(u.rel.oid))
  const added = pending.filter((u) => u.rel.reason === 'added').length
  const unfinished = pending.length - added
  const why = [
    ...(unfinished > 0
      ? [
          `the snapshot of the interrupted load of ${database} is gone, so its ${unfinished} unfinished table(s) are copied again`,
        ]
      : []),
    ...(added > 0 ? [`${added} table(s) added to the task (addTables) are copied`] : []),
  ].join('; ')
  return syncLsn === undefined
    ? `${why} under a new snapshot, so they reflect a later moment than the ${complete.size} table(s) finished before`
    : `${why} under a new snapshot with sync LSN ${syncLsn} (their changes up to it are skipped by the incremental stage)`
}

/** Publish the selection and create the task's slot with its snapshot; record both. */
async function createTaskSlot(
  ctx: StageContext,
  src: pg.Client,
  srcVersion: number,
  db: ResolvedDatabase,
  selection: DatabaseObjects,
  stored: LoadedDatabase,
): Promise<LoadSnapshot> {
  const { taskId, store } = ctx
  const slot = slotName(taskId, db.name)
  const publication = ctx.config.publication ?? publicationName(taskId)
  // Recorded before it exists, so every failure path and delete() remove it (§3.7).
  await recordSourceObjects(store, taskId, [{ database: db.name, kind: 'slot', name: slot }])
  if (await slotExists(src, slot)) {
    // An earlier run created the slot and died before writing `info`: nothing was copied
    // under its snapshot (which died with that run), so it starts over with a new slot. (Or
    // the slot was invalidated: it is replaced as well.)
    if (stored.slot === null)
      ctx.warn(
        'PGFERRY_FULLLOAD_SLOT_ORPHANED',
        `replication slot ${slot} of database ${db.name} was left by a run that stopped before recording it; it is dropped and created again`,
        db.name,
      )
    await dropSlot(src, slot)
  }
  let snapshot: HeldSnapshot
  try {
    await publishSelection(ctx, src, srcVersion, db.name, publication, selection.relations)
    snapshot = await createSlotSnapshot(ctx, db.name, {
      slot,
      temporary: false,
      timeoutMs: slotTimeoutMs(ctx),
    })
  } catch (error) {
    // Without its slot the publication serves nothing and only harms the source (a keyless
    // table's UPDATE fails while it is published): removed at once, whatever the failure.
    await removeSourceObjects(ctx.config.source, store, taskId, db.name).catch(() => undefined)
    throw error
  }
  const info: LoadedDatabase = {
    ...stored,
    slot,
    publication,
    consistentPoint: snapshot.consistentPoint ?? null,
    complete: false,
  }
  await store.putProgress(taskId, [{ kind: LOADED_DATABASE_KIND, key: db.name, value: info }])
  return { snapshot, syncLsn: undefined, info }
}

/** Partitions of one root are re-copied together so the root has one sync point. */
function recopyWholeRoots(
  selection: DatabaseObjects,
  units: readonly { readonly rel: SelectedRelation }[],
  complete: Set<number>,
): void {
  const byOid = new Map(selection.relations.map((x) => [x.oid, x]))
  const rootOf = (r: SelectedRelation): number => ancestorsOf(r, byOid).at(-1)?.oid ?? r.oid
  const dirtyRoots = new Set(
    units.filter((u) => !complete.has(u.rel.oid)).map((u) => rootOf(u.rel)),
  )
  for (const u of units) if (dirtyRoots.has(rootOf(u.rel))) complete.delete(u.rel.oid)
}

function slotTimeoutMs(ctx: StageContext): number {
  return typeof ctx.options.slotTimeoutMs === 'number'
    ? ctx.options.slotTimeoutMs
    : DEFAULT_SLOT_TIMEOUT_MS
}
