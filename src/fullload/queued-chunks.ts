/**
 * The copy phase of one database's load when the task has workers (issue 15): every planned
 * chunk becomes a job on the queue instead of a ChunkJob here. Workers run it as ChunkJob runs it
 * here (worker-job.ts): same COPY, same `copy_done` row of the target ledger in the same target transaction.
 * A finished chunk is counted from its copy_done row (the truth, whichever worker wrote it), then
 * recorded and handed to the post-data runner exactly as in-process (copy-chunks.ts).
 */
import type { StageContext } from '../model/stage.js'
import type { StoreAddress } from '../model/workers.js'
import { PgferryError } from '../errors.js'
import { readDoneChunks } from './chunk-progress.js'
import { chunkId, chunkLanded, type ChunkCopies, type CopyChunksInput } from './copy-chunks.js'
import type { JobWatcher } from './job-watcher.js'
import { TableCopy } from './table-copy.js'

/** What the queued copy phase needs beyond the in-process one's plan. */
export interface QueuedChunksInput extends Omit<CopyChunksInput, 'lanes' | 'throttle'> {
  readonly watcher: JobWatcher
  readonly store: StoreAddress
  readonly targetDb: string
}

/** Enqueue every chunk of `jobs`; each settles when its chunk committed on some worker. */
export function queueChunks(input: QueuedChunksInput): ChunkCopies {
  const { ctx, database, jobs, watcher } = input
  const tables: TableCopy[] = []
  const settled: Promise<void>[] = []
  for (const { unit, chunks } of jobs) {
    const table = new TableCopy(unit, chunks.length)
    tables.push(table)
    for (const job of chunks) {
      const name = `${unit.key} chunk ${job.chunk.index + 1}/${job.chunk.count}`
      const data = {
        v: 1 as const,
        kind: 'chunk' as const,
        taskId: ctx.taskId,
        store: input.store,
        database,
        targetDb: input.targetDb,
        table: unit.key,
        job: { ...job, syncLsn: job.syncLsn ?? null },
      }
      settled.push(
        (async () => {
          await watcher.run(data, name, () => table.chunkStarting(ctx, database))
          const done = await committedChunk(
            ctx,
            input.targetDb,
            database,
            job.relOid,
            job.chunk.index,
            job.epoch,
          )
          await chunkLanded(input, table, chunkId(database, job), { relOid: job.relOid, ...done })
        })(),
      )
    }
  }
  return { settled, tables }
}

/** The copy_done row a worker committed for this chunk of this epoch. */
async function committedChunk(
  ctx: StageContext,
  targetDb: string,
  sourceDb: string,
  relOid: number,
  chunk: number,
  epoch: string,
): Promise<{ rows: number; bytes: number }> {
  const tgt = await ctx.connect('target', { database: targetDb })
  try {
    const done =
      (await readDoneChunks(tgt, ctx.config.ledger, ctx.taskId, sourceDb)).get(relOid) ?? []
    const row = done.find((c) => c.chunk === chunk && c.epoch === epoch)
    if (row === undefined) {
      throw new PgferryError(
        'PGFERRY_QUEUE_JOB_FAILED',
        `a worker reported chunk ${chunk + 1} of table oid ${relOid} done, but its copy_done row is not on the target`,
        { fix: 'run the full load again: the table is copied again' },
      )
    }
    return { rows: row.rows, bytes: row.bytes }
  } finally {
    await tgt.end().catch(() => undefined)
  }
}
