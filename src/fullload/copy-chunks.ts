/**
 * The copy phase of one database's load: every planned chunk becomes a ChunkJob run by the
 * scheduler (largest first, preferring a table no other lane is copying: chunk-scheduler.ts).
 * Each table's results are summed in its TableCopy; when a table's last chunk lands it is
 * recorded in the store and handed to the post-data runner.
 */
import type { StageContext } from '../model/stage.js'
import { ChunkJob, type ChunkJobResult } from './chunk-job.js'
import { ChunkScheduler } from './chunk-scheduler.js'
import type { LanePool } from './copy-lanes.js'
import { LOADED_TABLE_KIND, loadedTableKey } from './load-progress.js'
import type { LoadTracker } from './load-tracker.js'
import type { CopyJob } from './copy-pipe.js'
import type { UnitJobs } from './plan-jobs.js'
import type { PostDataRunner } from './post-data-runner.js'
import type { HeldSnapshot } from './snapshot.js'
import { TableCopy } from './table-copy.js'
import type { Throttle } from './throttle.js'

/** What the copy phase needs. */
export interface CopyChunksInput {
  readonly ctx: StageContext
  /** The source database. */
  readonly database: string
  readonly jobs: readonly UnitJobs[]
  readonly lanes: LanePool
  readonly throttle: Throttle
  readonly snapshot: HeldSnapshot
  /** The re-copied tables' sync point, stored with each loaded table. */
  readonly syncLsn: string | undefined
  readonly tracker: LoadTracker
  readonly runner: PostDataRunner
}

/** The copy phase in flight. */
export interface ChunkCopies {
  /** One per chunk; each rejects with its chunk's error. */
  readonly settled: readonly Promise<void>[]
  readonly tables: readonly TableCopy[]
}

/** Start every chunk of `jobs`. */
export function copyChunks(input: CopyChunksInput): ChunkCopies {
  const { ctx, database, jobs } = input
  const scheduler = new ChunkScheduler(ctx.config.parallelism)
  const tables: TableCopy[] = []
  const settled: Promise<void>[] = []
  let failedEarly: unknown
  for (const { unit, chunks } of jobs) {
    const table = new TableCopy(unit, chunks.length)
    tables.push(table)
    for (const job of chunks) {
      const id = chunkId(database, job)
      const share = unit.bytes / chunks.length
      const chunk = new ChunkJob({
        ...input,
        table: unit.key,
        job,
        onProgress: (relayed) => input.tracker.chunkCopying(id, relayed, share),
      })
      const run = async (): Promise<void> => {
        ctx.signal.throwIfAborted()
        // after a failure, queued chunks do not start (running ones finish and commit)
        if (failedEarly !== undefined) throw failedEarly
        table.chunkStarting(ctx, database)
        await chunkLanded(input, table, id, await chunk.run())
      }
      settled.push(
        scheduler.run(unit.rel.oid, run).catch((error: unknown) => {
          failedEarly ??= error
          throw error
        }),
      )
    }
  }
  return { settled, tables }
}

/** A chunk committed: count it, and when it was its table's last, record and hand on the table. */
export async function chunkLanded(
  input: Pick<CopyChunksInput, 'ctx' | 'database' | 'tracker' | 'runner' | 'syncLsn'>,
  table: TableCopy,
  id: string,
  result: ChunkJobResult,
): Promise<void> {
  const { ctx, database, tracker, runner } = input
  const last = table.chunkDone(result)
  tracker.chunkDone(id, table.unit.bytes / table.chunks, last)
  if (!last) return
  table.emitCopied(ctx, database)
  const oid = table.unit.rel.oid
  await ctx.store.putProgress(ctx.taskId, [
    {
      kind: LOADED_TABLE_KIND,
      key: loadedTableKey(database, oid),
      value: table.loaded(database, input.syncLsn),
    },
  ])
  runner.landed(oid)
}

/** A chunk's key in the load's progress: database, table oid, chunk index. */
export function chunkId(database: string, job: CopyJob): string {
  return `${database}/${job.relOid}/${job.chunk.index}`
}
