/**
 * The full load of one source database into its target database: hold one snapshot, plan the
 * chunks of the tables not yet complete, copy them in parallel (largest first), run post-data
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
 *   skips their changes at or below it, as PostgreSQL's tablesync does. All partitions of a
 *   partitioned root are re-copied together, so a root has one syncLsn. If the slot itself is
 *   gone, changes since its consistent_point are lost: everything is copied again under a new slot.
 */
import { randomUUID } from 'node:crypto'
import pLimit from 'p-limit'
import { PgferryError, messageOf, sqlStateOf } from '../errors.js'
import { quoteQualified } from '../pg/quote.js'
import type { StageContext } from '../stage/stage.js'
import type { ResolvedDatabase } from '../task/resolve-config.js'
import type { DatabaseObjects, SelectedRelation } from '../catalog/selection.js'
import {
  readCopyColumns,
  readSplitInfo,
  readTargetColumns,
  versionNum,
} from '../catalog/columns-for-copy.js'
import { POST_DATA_DONE_KIND, loadPostDataPlan } from '../schema/ddl-step.js'
import { readWeakReplicaIdentity } from '../catalog/replica-identity.js'
import {
  completeEpoch,
  ensureProgressTables,
  readDoneChunks,
  readPostDataDone,
  resetTable,
} from './chunk-progress.js'
import { LanePool } from './copy-lanes.js'
import { chooseFormat, copyChunk, copySql, type CopyJob } from './copy-pipe.js'
import { copyLargeObjects } from './large-objects.js'
import {
  LOADED_DATABASE_KIND,
  LOADED_TABLE_KIND,
  loadedTableKey,
  type LoadedDatabase,
  type LoadedTable,
} from './load-progress.js'
import { PostDataRunner, parsePostDataDoneKey } from './post-data-runner.js'
import { copySequences } from './sequences.js'
import {
  DEFAULT_SLOT_TIMEOUT_MS,
  createSlotSnapshot,
  ensurePublication,
  exportSnapshot,
  importSnapshotSql,
  publicationName,
  slotExists,
  slotName,
  type HeldSnapshot,
} from './snapshot.js'
import type { Throttle } from './throttle.js'
import { largestFirst, planChunks, type ChunkPlan } from './work-plan.js'
import type { LoadTracker } from './load-tracker.js'

/** Retries of a chunk whose connection broke, under the same snapshot. */
const CHUNK_ATTEMPTS = 4

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

interface Unit {
  readonly rel: SelectedRelation
  readonly key: string
  readonly bytes: number
  readonly targetName: string
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
  const incremental = ctx.config.type === 'full+incremental'
  const src = await ctx.connect('source', { database: db.name })
  const tgt = await ctx.connect('target', { database: db.as })
  const srcVersion = await versionNum(src)
  await ensureProgressTables(tgt)

  const units: Unit[] = selection.relations
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

  // --- the snapshot -------------------------------------------------------------------------
  const dbKey = db.name
  const stored = (await store.getProgress(taskId, LOADED_DATABASE_KIND)).find(
    (e) => e.key === dbKey,
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
      const publication = publicationName(taskId)
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
      await ensurePublication(src, publication, selection.relations, srcVersion)
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
      await store.putProgress(taskId, [{ kind: LOADED_DATABASE_KIND, key: dbKey, value: info }])
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
  const pending = largestFirst(units.filter((u) => !complete.has(u.rel.oid)))
  for (const u of units) if (complete.has(u.rel.oid)) tracker.skipped(u.bytes)
  const epoch = randomUUID()

  // --- the plan -----------------------------------------------------------------------------
  const oids = pending.map((u) => u.rel.oid)
  const columns = await readCopyColumns(src, oids)
  const split = await readSplitInfo(src, oids)
  const jobs: { unit: Unit; chunks: CopyJob[] }[] = []
  if (snapshot !== undefined && pending.length > 0) {
    await src.query(importSnapshotSql(snapshot.name))
    for (const u of pending) {
      const cols = columns.get(u.rel.oid) ?? []
      const targetCols = await readTargetColumns(tgt, u.rel.targetSchema, u.rel.name)
      if (targetCols === undefined) {
        throw new PgferryError(
          'PGFERRY_FULLLOAD_COPY_FAILED',
          `table ${u.targetName} does not exist in target database ${db.as}`,
          { side: 'target', retryable: false, fix: 'run migrateSchema(task) first' },
        )
      }
      const format = chooseFormat(cols, targetCols)
      const info2 = split.get(u.rel.oid)
      let intKey: { column: string; min: bigint; max: bigint } | undefined
      const ctidOk = srcVersion >= 140000 && info2?.heapBlocks !== undefined
      const wantSplit =
        ctx.config.splitTablesLargerThan > 0 && u.bytes > ctx.config.splitTablesLargerThan
      if (wantSplit && !ctidOk && info2?.intKey !== undefined) {
        const k = quoteQualified(u.rel.schema, u.rel.name)
        const col = `"${info2.intKey.replace(/"/g, '""')}"`
        const r = await src.query<{ lo: string | null; hi: string | null }>(
          `SELECT min(${col})::text AS lo, max(${col})::text AS hi FROM ONLY ${k}`,
        )
        const lo = r.rows[0]?.lo
        const hi = r.rows[0]?.hi
        if (lo != null && hi != null)
          intKey = { column: info2.intKey, min: BigInt(lo), max: BigInt(hi) }
      }
      const plan: ChunkPlan[] = planChunks(
        { bytes: u.bytes, ctidBlocks: ctidOk ? info2?.heapBlocks : undefined, intKey },
        ctx.config.splitTablesLargerThan,
      )
      if (wantSplit && plan.length === 1) {
        ctx.warn(
          'PGFERRY_FULLLOAD_NOT_SPLIT',
          `table ${u.key} (${u.bytes} bytes) is copied in one piece: no ctid ranges before v14 and no unique NOT NULL integer column`,
          u.key,
        )
      }
      if ((done.get(u.rel.oid)?.length ?? 0) > 0 || plan.length > 1) {
        await resetTable(tgt, taskId, db.name, u.rel.oid, u.targetName)
      }
      const bytesPerRow = u.rel.estimatedRows > 0 ? u.bytes / u.rel.estimatedRows : 100
      jobs.push({
        unit: u,
        chunks: plan.map((chunk) => {
          const sql = copySql(
            u.rel,
            { schema: u.rel.targetSchema, name: u.rel.name },
            cols,
            format,
            chunk.where,
            plan.length === 1,
          )
          return {
            taskId,
            sourceDb: db.name,
            relOid: u.rel.oid,
            chunk,
            epoch,
            syncLsn,
            snapshot: snapshot.name,
            sourceSql: sql.source,
            targetSql: sql.target,
            truncate: plan.length === 1 ? u.targetName : undefined,
            bytesPerRow,
          }
        }),
      })
    }
    await src.query('COMMIT')
  }

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
  const runner = new PostDataRunner(ctx, {
    targetDb: db.as,
    steps,
    done: doneKeys,
    unitsOf,
    landed: new Set([...unitOids].filter((o) => complete.has(o))),
    analyze: new Map(pending.map((u) => [u.rel.oid, u.targetName])),
    parallelism: ctx.config.parallelism,
  })

  // --- the copy -------------------------------------------------------------------------------
  const lanes = new LanePool(ctx, db.name, db.as)
  const limit = pLimit(ctx.config.parallelism)
  let rows = 0
  let bytes = 0
  let chunkCount = 0
  const tableRows = new Map<
    number,
    { rows: number; bytes: number; left: number; started: number }
  >()
  const tasks: Promise<void>[] = []
  for (const { unit, chunks } of jobs) {
    tableRows.set(unit.rel.oid, { rows: 0, bytes: 0, left: chunks.length, started: 0 })
    for (const job of chunks) {
      tasks.push(
        limit(async () => {
          ctx.signal.throwIfAborted()
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
          const out = await runChunk(ctx, lanes, job, throttle, snapshot as HeldSnapshot, unit.key)
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
        }),
      )
    }
  }
  const settled = await Promise.allSettled(tasks)
  await lanes.close()
  await snapshot?.release()
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')
  if (failed !== undefined) {
    await runner.finish().catch(() => undefined)
    throw failed.reason
  }
  if (syncLsn !== undefined) {
    // Roots of re-copied partitions carry the same sync point (changes arrive under the root).
    const entries = selection.relations
      .filter(
        (r) =>
          r.kind === 'p' &&
          (unitsOf.get(r.oid) ?? []).some((o) => pending.some((u) => u.rel.oid === o)),
      )
      .map((r) => ({
        kind: LOADED_TABLE_KIND,
        key: loadedTableKey(db.name, r.oid),
        value: {
          sourceDatabase: db.name,
          oid: r.oid,
          schema: r.schema,
          name: r.name,
          targetSchema: r.targetSchema,
          rows: 0,
          bytes: 0,
          syncLsn,
        } satisfies LoadedTable,
      }))
    await store.putProgress(taskId, entries)
  }
  await runner.finish()

  // --- what COPY does not carry -----------------------------------------------------------------
  const sequences = await copySequences(
    src,
    tgt,
    selection.relations.filter((r) => r.kind === 'S'),
  )
  if (!steps.some((s) => s.kind === 'matview-refresh')) {
    for (const m of selection.relations
      .filter((r) => r.kind === 'm')
      .sort((a, b) => a.oid - b.oid)) {
      await tgt.query(`REFRESH MATERIALIZED VIEW ${quoteQualified(m.targetSchema, m.name)}`)
    }
  }
  let largeObjects = 0
  if (db.schemas === undefined) {
    // Large objects belong to the database, not to a schema: copied when the whole database is.
    await src.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
    const lo = await copyLargeObjects(src, tgt, (m) => ctx.warn('PGFERRY_FULLLOAD_LARGE_OBJECT', m))
    await src.query('COMMIT')
    largeObjects = lo.count
  }
  await store.putProgress(taskId, [
    { kind: LOADED_DATABASE_KIND, key: dbKey, value: { ...info, complete: true } },
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

/** Copy one chunk, retrying on a broken connection while the snapshot lives. */
async function runChunk(
  ctx: StageContext,
  lanes: LanePool,
  job: CopyJob,
  throttle: Throttle,
  snapshot: HeldSnapshot,
  table: string,
): Promise<{ rows: number; bytes: number }> {
  for (let attempt = 1; ; attempt++) {
    ctx.signal.throwIfAborted()
    const lane = await lanes.acquire()
    try {
      const out = await copyChunk(lane.source, lane.target, job, throttle, ctx.signal)
      lanes.release(lane, true)
      return out
    } catch (error) {
      lanes.release(lane, false)
      ctx.signal.throwIfAborted()
      if (!snapshot.alive()) {
        throw new PgferryError(
          'PGFERRY_FULLLOAD_SNAPSHOT_LOST',
          `the connection holding the load's snapshot closed while copying ${table}`,
          {
            cause: error,
            fix: 'run the full load again: finished tables are kept, unfinished ones are copied again under a new snapshot',
          },
        )
      }
      const state = sqlStateOf(error)
      if (state === '42P01') {
        throw new PgferryError(
          'PGFERRY_FULLLOAD_TABLE_DROPPED',
          `table ${table} was dropped on the source during the load`,
          {
            cause: error,
          },
        )
      }
      const transient =
        state === undefined ||
        state.startsWith('08') ||
        state === '57P01' ||
        state === '57014' ||
        state === '40001' ||
        state === '40P01'
      if (!transient || attempt >= CHUNK_ATTEMPTS) {
        throw new PgferryError(
          'PGFERRY_FULLLOAD_COPY_FAILED',
          `copying ${table} chunk ${job.chunk.index + 1}/${job.chunk.count} failed: ${messageOf(error)}`,
          { cause: error, retryable: transient },
        )
      }
      ctx.warn(
        'PGFERRY_FULLLOAD_CHUNK_RETRY',
        `copying ${table} chunk ${job.chunk.index + 1}/${job.chunk.count} failed (${messageOf(error)}); retrying (attempt ${attempt + 1})`,
        table,
      )
    }
  }
}
