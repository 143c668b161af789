/**
 * The built-in full load stage: every database of the task's manifest in turn (each with its own
 * snapshot and, for `full+incremental`, its own slot), see database-load.ts; with workers, several
 * databases at once, so that workers share all of their chunks. It copies what the
 * manifest names, never what the selection means in the live catalog now (the manifest is resolved
 * here only when the task starts with this stage). `cleanup` (task.delete) drops the
 * slots and publications it created and its rows of the target ledger (model/target-ledger.ts).
 *
 * Stage call options (ctx.options): `slotTimeoutMs` — how long slot creation may wait for open
 * transactions (default 60 s).
 */
import pLimit from 'p-limit'
import { loadRewrittenAgain } from './rewrite-rounds.js'
import { PgferryError } from '../errors.js'
import type { Stage, StageContext } from '../model/stage.js'
import type { DatabaseManifest } from '../model/manifest.js'
import { taskManifests } from '../manifest/resolve-manifest.js'
import { withCurrentRelations } from '../manifest/current-relations.js'
import { notMigrated, notMigratedMessage } from '../manifest/not-migrated.js'
import { releaseLedger } from '../store/target-ledger.js'
import { loadDatabase, type DatabaseLoadResult } from './database-load.js'
import type { FullLoadResult } from './full-load-result.js'
import { LoadTracker } from './load-tracker.js'
import { dropQueuedJobs, openLoadWorkers } from './load-workers.js'
import { Throttle } from './throttle.js'
import { removeLoadedObjects, removeSourceObjects } from './remove-source-objects.js'
import { readManifestState } from '../manifest/manifest-state.js'

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

/**
 * The task's manifests with their relations as the source has them now (current-relations.ts), each
 * relation the source has in a whole schema but the manifest does not name said to be left out.
 */
async function currentManifests(ctx: StageContext): Promise<DatabaseManifest[]> {
  const out: DatabaseManifest[] = []
  for (const m of await taskManifests(ctx)) {
    const c = await ctx.connect('source', { database: m.database.name })
    try {
      out.push(await withCurrentRelations(ctx, c, m))
      for (const r of await notMigrated(c, m))
        ctx.warn(
          'PGFERRY_FULLLOAD_NOT_MIGRATED',
          notMigratedMessage(r, m.database.name),
          `${m.database.name}.${r.schema}.${r.name}`,
        )
    } finally {
      await c.end()
    }
  }
  return out
}

/**
 * With workers, the databases of an instance task are loaded this many at a time, so that their
 * chunks are on the queue together and spread over every worker (one database after the other
 * would leave workers idle at each database's tail: its last chunks and its post-data). Each
 * database held at once costs the source its snapshot's replication connection and a few clients,
 * so it is not all of them: 4 stays within the default max_wal_senders (10) beside the slots of a
 * running sync. Without workers the load's lanes already fill the process: one database at a time.
 */
const DATABASES_AT_ONCE = 4

/**
 * Run `fn` over `items`, `n` at a time. After a failure no further item starts; the ones running
 * finish (each commits what it copied), then the first failure is thrown.
 */
async function eachAtOnce<T>(
  items: readonly T[],
  n: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const limit = pLimit(n)
  let failed = false
  const settled = await Promise.allSettled(
    items.map((item) =>
      limit(async () => {
        if (failed) return
        await fn(item).catch((error: unknown) => {
          failed = true
          throw error
        })
      }),
    ),
  )
  const first = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')
  if (first !== undefined) throw first.reason
}

type Totals = Required<Omit<FullLoadResult, 'durationMs' | 'startLsn'>>

function addLoad(t: Totals, r: DatabaseLoadResult): Totals {
  return {
    tables: t.tables + r.tables,
    rows: t.rows + r.rows,
    bytes: t.bytes + r.bytes,
    tablesSkipped: t.tablesSkipped + r.tablesSkipped,
    chunks: t.chunks + r.chunks,
    postDataSteps: t.postDataSteps + r.postDataSteps,
    sequences: t.sequences + r.sequences,
    largeObjects: t.largeObjects + r.largeObjects,
  }
}

async function run(ctx: StageContext): Promise<FullLoadResult> {
  const started = Date.now()
  const manifests = await currentManifests(ctx)
  const copied = manifests.flatMap((m) =>
    m.relations.filter((r) => r.kind === 'r' && r.persistence !== 't'),
  )
  const tracker = new LoadTracker(
    ctx,
    copied.length,
    copied.reduce((a, r) => a + r.bytes, 0),
  )
  const throttle = new Throttle(ctx.config.throttle)
  let totals: Totals = {
    tables: 0,
    rows: 0,
    bytes: 0,
    tablesSkipped: 0,
    chunks: 0,
    postDataSteps: 0,
    sequences: 0,
    largeObjects: 0,
  }
  const startLsn: Record<string, string> = {}
  const queued = await openLoadWorkers(ctx)
  const loadOne = async (m: DatabaseManifest): Promise<void> => {
    ctx.signal.throwIfAborted()
    const r = await loadRewrittenAgain(
      () => loadDatabase(ctx, m.database, m, throttle, tracker, queued?.workers),
      (error) => ctx.warn('PGFERRY_FULLLOAD_TABLE_REWRITTEN', `${error.message}; copying it again`),
      ctx.signal,
    )
    totals = addLoad(totals, r)
    if (r.startLsn !== undefined) startLsn[m.database.name] = r.startLsn
  }
  try {
    if (queued === undefined) for (const m of manifests) await loadOne(m)
    else await eachAtOnce(manifests, DATABASES_AT_ONCE, loadOne)
  } finally {
    await queued?.close()
  }
  if (ctx.config.type === 'full') {
    ctx.warn(
      'PGFERRY_FULLLOAD_FULL_ONLY',
      'full load done: rows written on the source after the load started are not on the target (use a full+incremental task to carry them)',
    )
  }
  return { ...totals, durationMs: Date.now() - started, startLsn }
}

async function cleanup(ctx: StageContext): Promise<void> {
  // jobs of a deleted task are dropped, not left for the workers
  await dropQueuedJobs(ctx).catch(() => undefined)
  // every recorded source object, also of databases whose load never got to write `info`
  await removeSourceObjects(ctx.config.source, ctx.store, ctx.taskId)
  // every database of the manifest: a load that failed before it recorded the database may have
  // created the target ledger's tables there already
  for (const d of (await readManifestState(ctx.store, ctx.taskId)).databases) {
    if (d.load !== undefined) await removeLoadedObjects(ctx, d.load)
    const tgt = await ctx
      .connect('target', { database: d.targetDatabase })
      .catch((error: unknown) => {
        if (error instanceof PgferryError && error.code === 'PGFERRY_CONNECT_DATABASE_MISSING')
          return undefined
        throw error
      })
    if (tgt === undefined) continue
    try {
      await releaseLedger(tgt, ctx.config.ledger, ctx.taskId, d.database)
    } finally {
      await tgt.end()
    }
  }
}

/** The built-in full load stage. */
export const fullLoadStage: Stage<FullLoadResult, FullLoadOptions> = {
  name: 'fullload',
  state: 'running_full_load',
  run,
  cleanup,
}
