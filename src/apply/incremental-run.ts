/**
 * The handle of a running incremental sync: one {@link DatabaseApply} per migrated database. It
 * outlives the stage call that started it; `complete` finds it in this process through
 * {@link activeRun} to drain it to a fence, and `task.delete()` stops it before dropping the slot.
 */
import type { RowWatch } from './row-watch.js'
import { PgferryError } from '../errors.js'
import type { StageContext } from '../model/stage.js'
import { readManifestState } from '../manifest/manifest-state.js'
import { formatLsn } from '../wal/lsn.js'
import type { ResolvedApplyOptions } from './apply-options.js'
import { DatabaseApply, type LagSample } from './database-apply.js'
import type { IncrementalSync } from './incremental-sync.js'
import { syncFailure } from './sync-failure.js'

/** Poll interval while waiting for the apply to reach a fence. */
const FENCE_POLL_MS = 50

/** Runs by task id, while they run. */
const ACTIVE = new Map<string, IncrementalRun>()

/** The live run of a task in this process, if any. */
export function activeRun(taskId: string): IncrementalRun | undefined {
  const run = ACTIVE.get(taskId)
  return run !== undefined && !run.ended ? run : undefined
}

/** A running incremental sync. */
export class IncrementalRun implements IncrementalSync {
  readonly taskId: string
  readonly databases: readonly DatabaseApply[]
  readonly done: Promise<void>
  #stopping: Promise<void> | undefined
  /**
   * Settles when every database's end has been handled, its failure reported included (the
   * `error` event and the task's move to `failed` in the store). `stop()` waits for it: a
   * `startIncremental()` right after must not race this process's own state write.
   */
  readonly #settled: Promise<unknown>

  private constructor(ctx: StageContext, databases: readonly DatabaseApply[], background: boolean) {
    this.taskId = ctx.taskId
    this.databases = databases
    // one database failing ends the others; in the background nobody awaits a stage call, so the
    // failure is told (error event) and recorded in the store before `done` rejects
    let reported = false
    const watch = async (d: DatabaseApply): Promise<void> => {
      try {
        await d.done
      } catch (cause) {
        void this.stop().catch(() => undefined)
        const error = syncFailure(cause, d.database)
        if (background && !reported && error instanceof PgferryError) {
          reported = true
          await ctx.fail(error)
        }
        throw error
      }
    }
    const watched = databases.map(watch)
    this.done = Promise.all(watched).then(() => undefined)
    this.done.catch(() => undefined)
    this.#settled = Promise.allSettled(watched)
  }

  /**
   * Start every database's stream. `keep`: connections outlive the calling stage (the
   * `startIncremental` handle); a drain inside `complete` uses the stage's own connections.
   */
  static async start(
    ctx: StageContext,
    options: ResolvedApplyOptions,
    keep: boolean,
    only?: ReadonlySet<string>,
  ): Promise<IncrementalRun> {
    const state = await readManifestState(ctx.store, ctx.taskId)
    const started: DatabaseApply[] = []
    try {
      for (const { load: loaded, tables } of state.databases) {
        if (loaded === undefined) continue
        if (only !== undefined && !only.has(loaded.sourceDatabase)) continue
        if (!loaded.complete) {
          throw new PgferryError(
            'PGFERRY_STAGE_FAILED',
            `the full load of ${loaded.sourceDatabase} is not complete`,
            {
              fix: 'run fullLoad(task) to the end first',
              cliFix: 'pgferry resume <task id> runs the full load to the end first',
            },
          )
        }
        started.push(await DatabaseApply.start(ctx, loaded, [...tables.values()], options, keep))
      }
    } catch (error) {
      await Promise.all(started.map((d) => d.stop().catch(() => undefined)))
      throw error
    }
    if (started.length === 0) {
      throw new PgferryError('PGFERRY_STAGE_FAILED', 'the full load recorded no database to sync', {
        fix: 'run fullLoad(task) first',
        cliFix: 'pgferry resume <task id> runs the full load first',
      })
    }
    const run = new IncrementalRun(ctx, started, keep)
    if (keep) {
      ACTIVE.set(ctx.taskId, run)
      void run.done
        .catch(() => undefined)
        .finally(() => {
          if (ACTIVE.get(ctx.taskId) === run) ACTIVE.delete(ctx.taskId)
        })
      const onAbort = (): void => void run.stop().catch(() => undefined)
      if (ctx.signal.aborted) onAbort()
      else ctx.signal.addEventListener('abort', onAbort, { once: true })
    }
    return run
  }

  get ended(): boolean {
    return this.databases.every((d) => d.ended)
  }

  /**
   * Record the changes the apply of `database` receives for the source table `oid` (row-watch.ts),
   * until the watch is closed; `undefined` when this run does not sync that database.
   */
  watchRows(database: string, oid: number): RowWatch | undefined {
    return this.databases.find((d) => d.database === database)?.watches.open(oid)
  }

  async lag(): Promise<LagSample[]> {
    return Promise.all(this.databases.map((d) => d.lag()))
  }

  /** Stop every stream (committing what is complete); the slots stay. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      const results = await Promise.allSettled(this.databases.map((d) => d.stop()))
      await this.#settled
      const failed = results.find((r) => r.status === 'rejected')
      if (failed !== undefined) throw failed.reason
    })()
    return this.#stopping
  }

  /**
   * Resolve when every database has applied (and confirmed) everything up to its fence: the
   * source's WAL position read after writes stopped. Rejects with the apply's failure, on abort,
   * or with `PGFERRY_COMPLETE_LAG` after `timeoutMs`.
   */
  async waitFor(
    fences: ReadonlyMap<string, bigint>,
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs
    let lastPoke = 0
    for (;;) {
      signal.throwIfAborted()
      let behind: DatabaseApply | undefined
      for (const d of this.databases) {
        if (d.failure !== undefined) throw syncFailure(d.failure, d.database)
        if (d.ended)
          throw new PgferryError('PGFERRY_STAGE_FAILED', `the apply of ${d.database} has stopped`)
        const fence = fences.get(d.database)
        if (fence !== undefined && d.appliedLsn < fence) behind = d
      }
      if (behind === undefined) return
      if (Date.now() >= deadline) {
        throw new PgferryError(
          'PGFERRY_COMPLETE_LAG',
          `the apply of ${behind.database} did not reach the fence ${formatLsn(fences.get(behind.database) ?? 0n)} within ${timeoutMs} ms (applied ${formatLsn(behind.appliedLsn)})`,
          { fix: 'make sure writes to the source have stopped, then call complete again' },
        )
      }
      // an idle stream only learns the server's position from a keepalive: ask for one
      if (Date.now() - lastPoke >= 200) {
        for (const d of this.databases) d.poke()
        lastPoke = Date.now()
      }
      await new Promise((r) => setTimeout(r, FENCE_POLL_MS))
    }
  }
}
