/**
 * A chunk with retries: a broken connection (a terminated backend, a network cut) is retried on
 * fresh connections under the same snapshot while the snapshot holder lives; a lost snapshot, a
 * dropped table or a data error ends the load with an error that says what to do.
 */
import { PgferryError, messageOf, sqlStateOf } from '../errors.js'
import type { StageContext } from '../model/stage.js'
import type { LanePool } from './copy-lanes.js'
import { copyChunk, type CopyJob } from './copy-pipe.js'
import type { HeldSnapshot } from './snapshot.js'
import type { Throttle } from './throttle.js'

/** Retries of a chunk whose connection broke, under the same snapshot. */
const CHUNK_ATTEMPTS = 4

/** Copy one chunk, retrying on a broken connection while the snapshot lives. */
export async function runChunk(
  ctx: StageContext,
  lanes: LanePool,
  job: CopyJob,
  throttle: Throttle,
  snapshot: HeldSnapshot,
  table: string,
  onBytes?: (bytes: number) => void,
): Promise<{ rows: number; bytes: number }> {
  for (let attempt = 1; ; attempt++) {
    ctx.signal.throwIfAborted()
    const lane = await lanes.acquire()
    try {
      const out = await copyChunk(
        lane.source,
        lane.target,
        job,
        ctx.config.ledger,
        throttle,
        ctx.signal,
        onBytes,
      )
      lanes.release(lane, true)
      return out
    } catch (error) {
      lanes.release(lane, false)
      ctx.signal.throwIfAborted()
      if (!snapshot.alive() || snapshotGone(error)) {
        throw new PgferryError(
          'PGFERRY_FULLLOAD_SNAPSHOT_LOST',
          `the connection holding the load's snapshot closed while copying ${table}`,
          {
            cause: error,
            fix: 'run the full load again: finished tables are kept, unfinished ones are copied again under a new snapshot',
          },
        )
      }
      // under the same snapshot it would read the same empty file again
      if (error instanceof PgferryError && error.code === 'PGFERRY_FULLLOAD_TABLE_REWRITTEN')
        throw error
      const state = sqlStateOf(error)
      if (state === '42P01') {
        throw new PgferryError(
          'PGFERRY_FULLLOAD_TABLE_DROPPED',
          `table ${table} was dropped on the source during the load (DDL on the source is not carried by a migration)`,
          {
            cause: error,
            fix: `recreate ${table} on the source and run the full load again (tables already copied are kept); or, if it is meant to be gone, delete this task and create one whose objects leave it out`,
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

/**
 * The worker could not import the load's snapshot (SET TRANSACTION SNAPSHOT): its exporting
 * transaction has ended even though the holding connection looks alive from here, as when the
 * server side of that connection died unseen (a partition, a reset that never reached us).
 * 22023 "invalid snapshot identifier" once the export is gone, 55000 "could not import the
 * requested snapshot" while its exporter is exiting.
 */
function snapshotGone(error: unknown): boolean {
  const state = sqlStateOf(error)
  return (state === '22023' || state === '55000') && /snapshot/i.test(messageOf(error))
}
