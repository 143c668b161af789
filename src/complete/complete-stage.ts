/**
 * The built-in cutover stage (see the README): after the caller has stopped writes to the source,
 *
 * 1. fence: write a position past every commit made before it (cutover-fence.ts, asynchronous
 *    commits included), and wait until every database's apply has committed (and confirmed)
 *    everything up to it — with the running sync of this process, or a stream started for the
 *    drain when the task was reopened;
 * 2. stop the streams;
 * 3. set sequences from the source and copy large objects again (what logical replication does
 *    not carry; fullload/sequences.ts and large-objects.ts);
 * 4. verify every row (verify/, `checksum` by default; `count` or `none` by the `verify` option),
 *    source against target — a difference fails the stage with `PGFERRY_VERIFY_MISMATCH`, naming
 *    tables and keys, *before* anything is dropped, so the task can still resume — then
 *    put every materialized view in the source's state (refresh-matviews.ts: REFRESH is not in
 *    the stream);
 * 5. drop the slot and publication on the source and the origin on the target.
 *
 * Steps 3–4 act on the task's manifest (model/manifest.ts), not on what the selection means in the
 * live catalog now: a relation created since is named in a warning, with the step that would have
 * added it, and left out.
 *
 * Idempotent: each database's drain and cutover is marked in the store, so `complete` after a
 * crash goes on where it stopped (a database whose slot is already gone was drained before).
 */
import type pg from 'pg'
import { PgferryError } from '../errors.js'
import type { Stage, StageContext } from '../model/stage.js'
import { readLargeObjects } from '../catalog/large-objects.js'
import type { LoadedDatabase } from '../fullload/load-progress.js'
import { databaseManifest } from '../manifest/resolve-manifest.js'
import { markCutoverDone, markDrained, readManifestState } from '../manifest/manifest-state.js'
import { notMigrated, notMigratedMessage } from '../manifest/not-migrated.js'
import { copySequences } from '../fullload/sequences.js'
import { copyLargeObjects } from '../fullload/large-objects.js'
import { slotExists } from '../fullload/snapshot.js'
import { resolveApplyOptions } from '../apply/apply-options.js'
import { activeRun, IncrementalRun } from '../apply/incremental-run.js'
import { dropReplicationObjects } from '../apply/drop-replication-objects.js'
import {
  checkCompleteVerifyMode,
  checkMigratedTables,
  type CompleteVerifyMode,
  verifyMismatchError,
} from '../verify/cutover-check.js'
import type { TableVerifyReport } from '../verify/verify-report.js'
import { formatLsn } from '../wal/lsn.js'
import { writeCutoverFence } from './cutover-fence.js'
import { withoutDroppedRelations } from './dropped-relations.js'
import { refreshMatviews } from '../schema/refresh-matviews.js'
import type { CompleteOptions, CompleteResult } from './complete-result.js'
import { PROGRESS_KINDS } from '../model/progress-kinds.js'

/** Progress kind of the cutover: `<db>/drained` (value: fence) and `<db>/done`. */
export const COMPLETE_KIND = PROGRESS_KINDS.complete

/** How long the drain may take by default. */
export const DEFAULT_COMPLETE_TIMEOUT_MS = 600_000

/** The databases whose slot still holds changes to drain; fails on a slot gone before its drain. */
async function databasesToDrain(
  ctx: StageContext,
  pending: readonly LoadedDatabase[],
  drained: ReadonlySet<string>,
): Promise<Set<string>> {
  const toDrain = new Set<string>()
  for (const d of pending) {
    if (d.slot === null) continue
    const src = await ctx.connect('source', { database: d.sourceDatabase })
    const exists = await slotExists(src, d.slot).finally(() => src.end())
    if (exists) toDrain.add(d.sourceDatabase)
    else if (!drained.has(d.sourceDatabase)) {
      throw new PgferryError(
        'PGFERRY_WAL_SLOT_MISSING',
        `replication slot ${d.slot} of ${d.sourceDatabase} is gone before the cutover drained it: changes since the full load may be missing`,
        { fix: 'start a new task (full load again) for this database' },
      )
    }
  }
  return toDrain
}

/** Steps 1–2: fence each database, wait until its apply passed the fence, stop the streams. */
async function fenceAndDrain(
  ctx: StageContext,
  toDrain: ReadonlySet<string>,
  fenceLsn: Record<string, string>,
): Promise<void> {
  const waitForZeroLag = ctx.options.waitForZeroLag !== false
  const timeoutMs =
    typeof ctx.options.timeoutMs === 'number' ? ctx.options.timeoutMs : DEFAULT_COMPLETE_TIMEOUT_MS
  let live = activeRun(ctx.taskId)
  let started: IncrementalRun | undefined
  try {
    if (waitForZeroLag && toDrain.size > 0) {
      if (live === undefined) {
        started = await IncrementalRun.start(ctx, resolveApplyOptions({}), false, toDrain)
        live = started
      }
      const fences = new Map<string, bigint>()
      for (const db of toDrain) {
        const src = await ctx.connect('source', { database: db })
        fences.set(db, await writeCutoverFence(src, ctx.taskId).finally(() => src.end()))
      }
      await live.waitFor(fences, ctx.signal, timeoutMs)
      const reached = new Map([...fences].map(([db, lsn]) => [db, formatLsn(lsn)]))
      await markDrained(ctx.store, ctx.taskId, reached)
      for (const [db, lsn] of reached) fenceLsn[db] = lsn
    }
    await live?.stop()
  } finally {
    await started?.stop().catch(() => undefined)
  }
}

/** Steps 3–4 for every pending database; fails before anything is dropped on a difference. */
async function alignAll(
  ctx: StageContext,
  pending: readonly LoadedDatabase[],
): Promise<{ sequences: number; largeObjects: number; tables: number }> {
  const totals = { sequences: 0, largeObjects: 0, tables: 0 }
  const mismatches: TableVerifyReport[] = []
  for (const d of pending) {
    ctx.signal.throwIfAborted()
    const r = await alignDatabase(ctx, d)
    totals.sequences += r.sequences
    totals.largeObjects += r.largeObjects
    totals.tables += r.tables
    mismatches.push(...r.mismatches)
  }
  if (mismatches.length > 0) throw verifyMismatchError(mismatches)
  return totals
}

async function run(ctx: StageContext): Promise<CompleteResult> {
  const state = (await readManifestState(ctx.store, ctx.taskId)).databases.filter(
    (d) => d.load !== undefined,
  )
  const pending = state.flatMap((d) =>
    d.load !== undefined && d.marks.done === undefined ? [d.load] : [],
  )
  const fenceLsn: Record<string, string> = {}
  for (const d of state)
    if (d.marks.drained !== undefined) fenceLsn[d.database] = d.marks.drained.fence
  const drained = new Set(state.filter((d) => d.marks.drained !== undefined).map((d) => d.database))
  await fenceAndDrain(ctx, await databasesToDrain(ctx, pending, drained), fenceLsn)
  const aligned = await alignAll(ctx, pending)

  // --- 5: remove what the sync left on the servers ------------------------------------------------
  let slotsDropped = 0
  let publicationsDropped = 0
  for (const d of pending) {
    const dropped = await dropReplicationObjects(ctx, d)
    if (dropped.slot) slotsDropped++
    if (dropped.publication) publicationsDropped++
    await markCutoverDone(ctx.store, ctx.taskId, d.sourceDatabase)
  }
  return {
    sequencesSet: aligned.sequences,
    slotsDropped,
    publicationsDropped,
    tablesVerified: aligned.tables,
    largeObjects: aligned.largeObjects,
    fenceLsn,
  }
}

/** Large objects are not in the WAL stream: copy them again, drop those gone since. */
async function realignLargeObjects(
  ctx: StageContext,
  src: pg.Client,
  tgt: pg.Client,
): Promise<number> {
  await src.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
  try {
    const lo = await copyLargeObjects(src, tgt, (m) => ctx.warn('PGFERRY_COMPLETE_LARGE_OBJECT', m))
    await dropVanishedLargeObjects(src, tgt)
    return lo.count
  } finally {
    await src.query('COMMIT')
  }
}

/** Sequences, large objects and the consistency check of one database, as its manifest names them. */
async function alignDatabase(
  ctx: StageContext,
  d: LoadedDatabase,
): Promise<{
  sequences: number
  largeObjects: number
  tables: number
  mismatches: TableVerifyReport[]
}> {
  const manifest = await databaseManifest(ctx, d.sourceDatabase)
  const src = await ctx.connect('source', { database: d.sourceDatabase })
  const tgt = await ctx.connect('target', { database: d.targetDatabase })
  try {
    for (const r of await notMigrated(src, manifest))
      ctx.warn(
        'PGFERRY_COMPLETE_NOT_MIGRATED',
        notMigratedMessage(r, d.sourceDatabase),
        `${d.sourceDatabase}.${r.schema}.${r.name}`,
      )
    const migrated = await withoutDroppedRelations(ctx, d, src, tgt, manifest.relations)
    const sequences = await copySequences(
      src,
      tgt,
      migrated.filter((r) => r.kind === 'S'),
    )
    // large objects belong to the database: migrated only when the whole database is
    const largeObjects =
      manifest.database.schemas === undefined ? await realignLargeObjects(ctx, src, tgt) : 0
    // unlogged tables are copied by the full load but never in the WAL: not comparable here
    const tables = migrated.filter((r) => r.kind === 'r' && r.persistence === 'p')
    const mismatches = await checkMigratedTables(
      ctx,
      d,
      tables,
      // checked by checkOptions before the stage ran
      (ctx.options.verify as CompleteVerifyMode | undefined) ?? 'checksum',
    )
    // matviews read the tables: only once they are equal
    if (mismatches.length === 0)
      await refreshMatviews(
        src,
        tgt,
        migrated.filter((r) => r.kind === 'm'),
      )
    const verified = ctx.options.verify === 'none' ? 0 : tables.length
    return { sequences, largeObjects, tables: verified, mismatches }
  } finally {
    await Promise.all([src.end().catch(() => undefined), tgt.end().catch(() => undefined)])
  }
}

async function dropVanishedLargeObjects(src: pg.Client, tgt: pg.Client): Promise<void> {
  const keep = new Set((await readLargeObjects(src)).map((lo) => String(lo.oid)))
  const r = await tgt.query<{ oid: string }>(`SELECT oid::text FROM pg_largeobject_metadata`)
  for (const row of r.rows) {
    if (!keep.has(row.oid)) await tgt.query(`SELECT lo_unlink($1::int8::oid)`, [row.oid])
  }
}

/** The built-in cutover stage. */
export const completeStage: Stage<CompleteResult, CompleteOptions> = {
  name: 'complete',
  kind: 'cutover',
  state: 'completing',
  run,
  checkOptions: (options) => checkCompleteVerifyMode(options.verify),
}
