/**
 * The built-in full load stage: every selected database in turn (each with its own snapshot and,
 * for `full+incremental`, its own slot), see database-load.ts. `cleanup` (task.delete) drops the
 * slots and publications it created and its target-side progress rows.
 *
 * Stage call options (ctx.options): `slotTimeoutMs` — how long slot creation may wait for open
 * transactions (default 60 s).
 */
import { loadRewrittenAgain } from './rewrite-rounds.js'
import { PgferryError } from '../errors.js'
import type { Stage, StageContext } from '../model/stage.js'
import { readTaskSelection, selectedDatabases, type DatabaseObjects } from '../catalog/selection.js'
import type { ResolvedDatabase } from '../model/resolved-objects.js'
import { COPY_DONE_TABLE, POST_DATA_DONE_TABLE } from './chunk-progress.js'
import { loadDatabase } from './database-load.js'
import type { FullLoadResult } from './full-load-result.js'
import { LOADED_DATABASE_KIND, type LoadedDatabase } from './load-progress.js'
import { saveLoadManifest } from './load-manifest.js'
import { LoadTracker } from './load-tracker.js'
import { Throttle } from './throttle.js'
import { removeLoadedObjects, removeSourceObjects } from './remove-source-objects.js'

/**
 * Options of a full load call, beyond the signal.
 * @public
 */
export interface FullLoadOptions {
  /** Aborting stops the stage promptly; the task becomes `paused` and can resume. */
  readonly signal?: AbortSignal
  /** How long creating the replication slot may wait for open transactions. Defaults to 60 000 ms. */
  readonly slotTimeoutMs?: number
}

async function run(ctx: StageContext): Promise<FullLoadResult> {
  const started = Date.now()
  const admin = await ctx.connect('source')
  const databases = await selectedDatabases(ctx.config.objects, admin)
  await admin.end()
  const selections: { db: ResolvedDatabase; objects: DatabaseObjects }[] = []
  for (const db of databases) {
    const c = await ctx.connect('source', { database: db.name })
    try {
      selections.push({ db, objects: await readTaskSelection(c, db, ctx.config.objects) })
    } finally {
      await c.end()
    }
  }
  const copied = selections.flatMap((s) =>
    s.objects.relations.filter((r) => r.kind === 'r' && r.persistence !== 't'),
  )
  const tracker = new LoadTracker(
    ctx,
    copied.length,
    copied.reduce((a, r) => a + r.bytes, 0),
  )
  const throttle = new Throttle(ctx.config.throttle)
  const totals = { tables: 0, rows: 0, bytes: 0, skipped: 0, chunks: 0, post: 0, seq: 0, lo: 0 }
  const startLsn: Record<string, string> = {}
  for (const { db, objects } of selections) {
    ctx.signal.throwIfAborted()
    await saveLoadManifest(ctx.store, ctx.taskId, db.name, objects.relations)
    const r = await loadRewrittenAgain(
      () => loadDatabase(ctx, db, objects, throttle, tracker),
      (error) => ctx.warn('PGFERRY_FULLLOAD_TABLE_REWRITTEN', `${error.message}; copying it again`),
      ctx.signal,
    )
    totals.tables += r.tables
    totals.rows += r.rows
    totals.bytes += r.bytes
    totals.skipped += r.tablesSkipped
    totals.chunks += r.chunks
    totals.post += r.postDataSteps
    totals.seq += r.sequences
    totals.lo += r.largeObjects
    if (r.startLsn !== undefined) startLsn[db.name] = r.startLsn
  }
  if (ctx.config.type === 'full') {
    ctx.warn(
      'PGFERRY_FULLLOAD_FULL_ONLY',
      'full load done: rows written on the source after the load started are not on the target (use a full+incremental task to carry them)',
    )
  }
  return {
    tables: totals.tables,
    rows: totals.rows,
    bytes: totals.bytes,
    durationMs: Date.now() - started,
    startLsn,
    tablesSkipped: totals.skipped,
    chunks: totals.chunks,
    postDataSteps: totals.post,
    sequences: totals.seq,
    largeObjects: totals.lo,
  }
}

async function cleanup(ctx: StageContext): Promise<void> {
  // every recorded source object, also of databases whose load never got to write `info`
  await removeSourceObjects(ctx.config.source, ctx.store, ctx.taskId)
  const entries = await ctx.store.getProgress(ctx.taskId, LOADED_DATABASE_KIND)
  for (const e of entries) {
    const info = e.value as LoadedDatabase
    await removeLoadedObjects(ctx, info)
    const tgt = await ctx
      .connect('target', { database: info.targetDatabase })
      .catch((error: unknown) => {
        if (error instanceof PgferryError && error.code === 'PGFERRY_CONNECT_DATABASE_MISSING')
          return undefined
        throw error
      })
    if (tgt === undefined) continue
    for (const table of [COPY_DONE_TABLE, POST_DATA_DONE_TABLE]) {
      await tgt
        .query(`DELETE FROM ${table} WHERE task_id = $1`, [ctx.taskId])
        .catch(() => undefined)
    }
    await tgt.end()
  }
}

/** The built-in full load stage. */
export const fullLoadStage: Stage<FullLoadResult, FullLoadOptions> = {
  name: 'fullload',
  state: 'running_full_load',
  run,
  cleanup,
}
