/**
 * The full load of one source database into its target database: hold one snapshot, plan the
 * chunks of the tables not yet complete (load-plan.ts), copy them in parallel as chunk jobs
 * (copy-chunks.ts), run post-data steps as tables land (load-post-data.ts), then sequences, matview
 * refreshes and large objects.
 *
 * Resume rules (see chunk-progress.ts and load-progress.ts):
 * - A table whose chunks of one epoch are all committed is complete and never copied again.
 * - Every run holds a new snapshot (a snapshot cannot outlive the process that holds it), so a
 *   table left unfinished by an earlier run is truncated and copied again, whole, under the new one.
 * - `full`: the re-copied tables then reflect a later moment than the tables finished earlier; a
 *   warning says so (a `full` load promises one moment only when it runs uninterrupted).
 * - `full+incremental`: the slot of the first run stays the stream's start. Re-copied tables get a
 *   temporary slot's snapshot and its consistent_point as their `syncLsn`; the incremental stage
 *   skips their changes committed before it, as PostgreSQL's tablesync does. All partitions of a
 *   partitioned root are re-copied together, so a root has one syncLsn. The syncLsn commits with
 *   each chunk (the target ledger's copy_done) and the store's table entries are derived from those rows before
 *   the database is marked complete (sync-points.ts). If the slot itself is gone, changes since its
 *   consistent_point are lost: everything is copied again under a new slot.
 */
import type pg from 'pg'
import { quoteQualified } from '../pg/quote.js'
import type { StageContext } from '../model/stage.js'
import type { ResolvedDatabase } from '../model/resolved-objects.js'
import type { DatabaseObjects } from '../catalog/selection.js'
import { versionNum } from '../catalog/server-version.js'
import type { DdlStep } from '../schema/ddl-step.js'
import { ensureProgressTables, readDoneChunks } from './chunk-progress.js'
import { copyChunks, type ChunkCopies } from './copy-chunks.js'
import { queueChunks } from './queued-chunks.js'
import type { LoadWorkers } from './load-workers.js'
import { postDataSearchPath } from './post-data-runner.js'
import { LanePool } from './copy-lanes.js'
import { copyLargeObjects } from './large-objects.js'
import { LOADED_DATABASE_KIND } from './load-progress.js'
import { planLoad } from './load-plan.js'
import { startPostData } from './load-post-data.js'
import type { LoadTracker } from './load-tracker.js'
import { copySequences } from './sequences.js'
import { loadedTableEntries } from './sync-points.js'
import { refreshMatviews } from '../schema/refresh-matviews.js'
import { importSnapshotSql, type HeldSnapshot } from './snapshot.js'
import type { Throttle } from './throttle.js'

/** What one database's load did. */
export interface DatabaseLoadResult {
  readonly tables: number
  readonly tablesSkipped: number
  readonly chunks: number
  readonly rows: number
  readonly bytes: number
  readonly startLsn: string | undefined
  readonly postDataSteps: number
  readonly sequences: number
  readonly largeObjects: number
}

/** Load one database. `selection` was read by the caller (it also feeds task-level progress). */
export async function loadDatabase(
  ctx: StageContext,
  db: ResolvedDatabase,
  selection: DatabaseObjects,
  throttle: Throttle,
  tracker: LoadTracker,
  workers?: LoadWorkers,
): Promise<DatabaseLoadResult> {
  const { taskId, store } = ctx
  const src = await ctx.connect('source', { database: db.name })
  const tgt = await ctx.connect('target', { database: db.as })
  const srcVersion = await versionNum(src)
  await ensureProgressTables(tgt, ctx.config.ledger)

  const plan = await planLoad(ctx, src, tgt, srcVersion, db, selection)
  const { units, pending, snapshot, info } = plan
  for (const u of units) if (plan.complete.has(u.rel.oid)) tracker.skipped(u.bytes)
  const { runner, steps } = await startPostData(
    ctx,
    tgt,
    db,
    selection,
    plan,
    tracker,
    workers === undefined ? undefined : queuedStep(ctx, db, workers),
  )

  const lanes = new LanePool(ctx, db.name, db.as)
  const input = { ...plan, ctx, database: db.name, snapshot, tracker, runner }
  const copies: ChunkCopies =
    input.snapshot === undefined
      ? { settled: [], tables: [] }
      : workers === undefined
        ? copyChunks({ ...input, snapshot: input.snapshot, lanes, throttle })
        : queueChunks({ ...input, snapshot: input.snapshot, ...workers, targetDb: db.as })
  const largeObjectsCopy =
    db.schemas === undefined ? largeObjects(ctx, src, tgt, snapshot) : Promise.resolve(0)
  const settled = await Promise.allSettled([...copies.settled, largeObjectsCopy])
  runner.copyFinished()
  await lanes.close()
  await snapshot?.release()
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')
  if (failed !== undefined) {
    await runner.finish().catch(() => undefined)
    await runner.close()
    throw failed.reason
  }
  // Every table's sync LSN, and its partitioned roots', read back from the chunk rows that
  // committed with its data: written here, before the database is marked complete, whatever an
  // earlier run failed or died before writing (sync-points.ts).
  await store.putProgress(
    taskId,
    loadedTableEntries(
      db.name,
      selection.relations,
      units.map((u) => u.rel),
      await readDoneChunks(tgt, ctx.config.ledger, taskId, db.name),
    ),
  )
  await runner.finish().finally(() => runner.close())

  const sequences = await copyUncopied(src, tgt, selection, steps)
  await store.putProgress(taskId, [
    { kind: LOADED_DATABASE_KIND, key: db.name, value: { ...info, complete: true } },
  ])
  // this session used the target ledger (ensureProgressTables) until now: it lets go of it
  await tgt.end()
  return {
    tables: units.length,
    tablesSkipped: units.length - pending.length,
    ...totals(copies),
    startLsn: info.consistentPoint ?? undefined,
    postDataSteps: runner.stepsRun,
    sequences,
    largeObjects: await largeObjectsCopy,
  }
}

/** A post-data step run by a worker: enqueued once it is ready, resolved once it committed. */
function queuedStep(
  ctx: StageContext,
  db: ResolvedDatabase,
  workers: LoadWorkers,
): (step: DdlStep, copying: boolean) => Promise<void> {
  return async (step, copying) => {
    const job = {
      v: 1 as const,
      kind: 'step' as const,
      taskId: ctx.taskId,
      store: workers.store,
      database: db.name,
      targetDb: db.as,
      step: { ...step },
      searchPath: postDataSearchPath(db.schemas),
      copying,
    }
    await workers.watcher.run(job, step.name)
  }
}

/**
 * Large objects belong to the database, not to a schema: copied when the whole database is,
 * beside the table chunks and under the same snapshot (oid columns point at them).
 */
async function largeObjects(
  ctx: StageContext,
  src: pg.Client,
  tgt: pg.Client,
  snapshot: HeldSnapshot | undefined,
): Promise<number> {
  await src.query(
    snapshot === undefined
      ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'
      : importSnapshotSql(snapshot.name),
  )
  const lo = await copyLargeObjects(src, tgt, (m) => ctx.warn('PGFERRY_FULLLOAD_LARGE_OBJECT', m))
  await src.query('COMMIT')
  return lo.count
}

/** What COPY does not carry: sequences, and the matviews the post-data plan does not refresh. */
async function copyUncopied(
  src: pg.Client,
  tgt: pg.Client,
  selection: DatabaseObjects,
  steps: readonly DdlStep[],
): Promise<number> {
  const sequences = await copySequences(
    src,
    tgt,
    selection.relations.filter((r) => r.kind === 'S'),
  )
  const planned = new Set(steps.filter((s) => s.kind === 'matview-refresh').map((s) => s.name))
  await refreshMatviews(
    src,
    tgt,
    selection.relations.filter(
      (r) => r.kind === 'm' && !planned.has(quoteQualified(r.targetSchema, r.name)),
    ),
  )
  return sequences
}

/** The copy phase's sums over its tables. */
function totals(copies: ChunkCopies): { chunks: number; rows: number; bytes: number } {
  let chunks = 0
  let rows = 0
  let bytes = 0
  for (const t of copies.tables) {
    chunks += t.chunksDone
    rows += t.rows
    bytes += t.bytes
  }
  return { chunks, rows, bytes }
}
