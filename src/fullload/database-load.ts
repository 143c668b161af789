/**
 * The full load of one source database into its target database: hold one snapshot, plan the
 * chunks of the tables not yet complete, copy them in parallel (largest first, preferring a table
 * no other lane is copying: chunk-scheduler.ts), run post-data
 * steps as tables land, then sequences, matview refreshes and large objects.
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
 *   each chunk (pgferry.copy_done) and the store's table entries are derived from those rows before
 *   the database is marked complete (sync-points.ts). If the slot itself is gone, changes since its
 *   consistent_point are lost: everything is copied again under a new slot.
 */
import { randomUUID } from 'node:crypto'
import { quoteQualified } from '../pg/quote.js'
import type { StageContext } from '../model/stage.js'
import type { ResolvedDatabase } from '../model/resolved-objects.js'
import type { DatabaseObjects } from '../catalog/selection.js'
import { versionNum } from '../catalog/server-version.js'
import { POST_DATA_DONE_KIND, loadPostDataPlan } from '../schema/ddl-step.js'
import {
  completeEpoch,
  ensureProgressTables,
  readDoneChunks,
  readPostDataDone,
} from './chunk-progress.js'
import { runChunk } from './chunk-retry.js'
import { ChunkScheduler } from './chunk-scheduler.js'
import { LanePool } from './copy-lanes.js'
import { copyLargeObjects } from './large-objects.js'
import { holdLoadSnapshot } from './load-snapshot.js'
import {
  LOADED_DATABASE_KIND,
  LOADED_TABLE_KIND,
  loadedTableKey,
  type LoadedTable,
} from './load-progress.js'
import type { LoadTracker } from './load-tracker.js'
import { planJobs, type CopyUnit } from './plan-jobs.js'
import { PostDataRunner, parsePostDataDoneKey, postDataSearchPath } from './post-data-runner.js'
import { copySequences } from './sequences.js'
import { loadedTableEntries, unevenPartitions } from './sync-points.js'
import { refreshMatviews } from '../schema/refresh-matviews.js'
import { importSnapshotSql, type HeldSnapshot } from './snapshot.js'
import type { Throttle } from './throttle.js'
import { largestFirst } from './work-plan.js'

/** A `chunk:progress` event (done: false) per this many bytes of a chunk in flight. */
const PROGRESS_EVERY_BYTES = 32 * 1024 * 1024

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
): Promise<DatabaseLoadResult> {
  const { taskId, store } = ctx
  const src = await ctx.connect('source', { database: db.name })
  const tgt = await ctx.connect('target', { database: db.as })
  const srcVersion = await versionNum(src)
  await ensureProgressTables(tgt)

  const units: CopyUnit[] = selection.relations
    .filter((r) => r.kind === 'r' && r.persistence !== 't')
    .map((r) => ({
      rel: r,
      key: `${r.schema}.${r.name}`,
      bytes: r.bytes,
      targetName: quoteQualified(r.targetSchema, r.name),
    }))
  const done = await readDoneChunks(tgt, taskId, db.name)
  const complete = new Set(
    units.filter((u) => completeEpoch(done.get(u.rel.oid)) !== undefined).map((u) => u.rel.oid),
  )
  const uneven = unevenPartitions(
    selection.relations,
    units.map((u) => u.rel),
    done,
  )
  for (const oid of uneven) complete.delete(oid)

  const { snapshot, syncLsn, info } = await holdLoadSnapshot(
    ctx,
    src,
    srcVersion,
    db,
    selection,
    units,
    complete,
  )
  const pending = largestFirst(units.filter((u) => !complete.has(u.rel.oid)))
  for (const u of units) if (complete.has(u.rel.oid)) tracker.skipped(u.bytes)
  const epoch = randomUUID()

  const jobs =
    snapshot === undefined
      ? []
      : await planJobs(ctx, src, tgt, srcVersion, db, pending, done, snapshot, epoch, syncLsn)

  // --- post-data, fed as tables land ------------------------------------------------------------
  const steps = (await loadPostDataPlan(store, taskId, db.as)) ?? []
  const doneKeys = new Set<string>()
  for (const e of await store.getProgress(taskId, POST_DATA_DONE_KIND)) {
    const k = parsePostDataDoneKey(db.as, e.key)
    if (k !== undefined) doneKeys.add(k)
  }
  for (const k of await readPostDataDone(tgt, taskId)) doneKeys.add(k)
  const unitsOf = new Map<number, number[]>()
  const unitOids = new Set(units.map((u) => u.rel.oid))
  const parentOf = new Map(selection.relations.map((r) => [r.oid, r.parentOid]))
  for (const u of units) {
    for (let cur: number | undefined = u.rel.oid; cur !== undefined; cur = parentOf.get(cur)) {
      unitsOf.set(cur, [...(unitsOf.get(cur) ?? []), u.rel.oid])
    }
  }
  // A relation the plan names that the source no longer has under that oid (dropped and created
  // again since the structure stage): its steps wait for every table rather than run before data.
  for (const step of steps) {
    for (const rel of step.relations) if (!parentOf.has(rel)) unitsOf.set(rel, [...unitOids])
  }
  const runner = new PostDataRunner(ctx, {
    targetDb: db.as,
    steps,
    done: doneKeys,
    unitsOf,
    landed: new Set([...unitOids].filter((o) => complete.has(o))),
    analyze: new Map(pending.map((u) => [u.rel.oid, u.targetName])),
    vacuum: (await versionNum(tgt)) < 130000,
    parallelism: ctx.config.parallelism,
    searchPath: postDataSearchPath(db.schemas),
  })

  // --- the copy -------------------------------------------------------------------------------
  const lanes = new LanePool(ctx, db.name, db.as)
  const scheduler = new ChunkScheduler(ctx.config.parallelism)
  let rows = 0
  let bytes = 0
  let chunkCount = 0
  const tableRows = new Map<
    number,
    { rows: number; bytes: number; left: number; started: number }
  >()
  const tasks: Promise<void>[] = []
  let failedEarly: unknown
  for (const { unit, chunks } of jobs) {
    tableRows.set(unit.rel.oid, { rows: 0, bytes: 0, left: chunks.length, started: 0 })
    for (const job of chunks) {
      tasks.push(
        scheduler
          .run(unit.rel.oid, async () => {
            ctx.signal.throwIfAborted()
            // after a failure, queued chunks do not start (running ones finish and commit)
            if (failedEarly !== undefined) throw failedEarly
            const t = tableRows.get(unit.rel.oid) as {
              rows: number
              bytes: number
              left: number
              started: number
            }
            if (t.started === 0) {
              t.started = Date.now()
              ctx.emit('table:start', {
                taskId,
                database: db.name,
                table: unit.key,
                chunks: chunks.length,
              })
            }
            // In-flight progress of a long chunk: bytes so far (rows are known when it commits).
            let sent = 0
            let reported = 0
            const chunkName = `${job.chunk.index + 1}/${job.chunk.count}`
            const onBytes = (n: number): void => {
              sent += n
              if (sent - reported < PROGRESS_EVERY_BYTES) return
              reported = sent
              ctx.emit('chunk:progress', {
                taskId,
                database: db.name,
                table: unit.key,
                chunk: chunkName,
                rows: 0,
                bytes: sent,
                done: false,
              })
            }
            const out = await runChunk(
              ctx,
              lanes,
              job,
              throttle,
              snapshot as HeldSnapshot,
              unit.key,
              onBytes,
            )
            rows += out.rows
            bytes += out.bytes
            chunkCount++
            t.rows += out.rows
            t.bytes += out.bytes
            t.left--
            ctx.emit('chunk:progress', {
              taskId,
              database: db.name,
              table: unit.key,
              chunk: `${job.chunk.index + 1}/${job.chunk.count}`,
              rows: out.rows,
              bytes: out.bytes,
              done: true,
            })
            tracker.chunkDone(unit.bytes / chunks.length, t.left === 0)
            if (t.left === 0) {
              ctx.emit('table:copied', {
                taskId,
                database: db.name,
                table: unit.key,
                rows: t.rows,
                bytes: t.bytes,
                durationMs: Date.now() - t.started,
              })
              const value: LoadedTable = {
                sourceDatabase: db.name,
                oid: unit.rel.oid,
                schema: unit.rel.schema,
                name: unit.rel.name,
                targetSchema: unit.rel.targetSchema,
                rows: t.rows,
                bytes: t.bytes,
                syncLsn: syncLsn ?? null,
              }
              await store.putProgress(taskId, [
                { kind: LOADED_TABLE_KIND, key: loadedTableKey(db.name, unit.rel.oid), value },
              ])
              runner.landed(unit.rel.oid)
            }
          })
          .catch((error: unknown) => {
            failedEarly ??= error
            throw error
          }),
      )
    }
  }
  // Large objects belong to the database, not to a schema: copied when the whole database is,
  // beside the table chunks and under the same snapshot (oid columns point at them).
  const largeObjectsCopy =
    db.schemas === undefined
      ? (async () => {
          await src.query(
            snapshot === undefined
              ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'
              : importSnapshotSql(snapshot.name),
          )
          const lo = await copyLargeObjects(src, tgt, (m) =>
            ctx.warn('PGFERRY_FULLLOAD_LARGE_OBJECT', m),
          )
          await src.query('COMMIT')
          return lo.count
        })()
      : Promise.resolve(0)
  const settled = await Promise.allSettled([...tasks, largeObjectsCopy])
  runner.copyFinished()
  await lanes.close()
  await snapshot?.release()
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')
  if (failed !== undefined) {
    await runner.finish().catch(() => undefined)
    await runner.close()
    throw failed.reason
  }
  const largeObjects = await largeObjectsCopy
  // Every table's sync LSN, and its partitioned roots', read back from the chunk rows that
  // committed with its data: written here, before the database is marked complete, whatever an
  // earlier run failed or died before writing (sync-points.ts).
  await store.putProgress(
    taskId,
    loadedTableEntries(
      db.name,
      selection.relations,
      units.map((u) => u.rel),
      await readDoneChunks(tgt, taskId, db.name),
    ),
  )
  await runner.finish().finally(() => runner.close())

  // --- what COPY does not carry -----------------------------------------------------------------
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
  await store.putProgress(taskId, [
    { kind: LOADED_DATABASE_KIND, key: db.name, value: { ...info, complete: true } },
  ])
  return {
    tables: units.length,
    tablesSkipped: units.length - pending.length,
    chunks: chunkCount,
    rows,
    bytes,
    startLsn: info.consistentPoint ?? undefined,
    postDataSteps: runner.stepsRun,
    sequences,
    largeObjects,
  }
}
