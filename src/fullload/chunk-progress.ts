/**
 * Exactly-once chunks (ARCHITECTURE.md): a chunk's "done" row commits in the same target
 * transaction as its rows. The task's store may live in another database than the data, so each
 * target database gets the full load's part of the task's target ledger (model/target-ledger.ts):
 * `copy_done`, created on first use and read on resume. Post-data steps that run in a transaction
 * are marked the same way (`postdata_done`), so a crash between a DDL commit and the store write cannot make a
 * resume run the DDL twice.
 *
 * A chunk row records the snapshot epoch it was copied under. A table is complete when all the
 * chunks of one epoch are there; a table with chunks of an epoch whose snapshot is gone is
 * truncated and copied again, since rows copied under two snapshots need not fit together.
 */
import type pg from 'pg'
import type { CopyDoneRow, TargetLedger } from '../model/target-ledger.js'
import { ensureLedger, ledgerTable } from '../store/target-ledger.js'

/** A chunk as recorded on the target (a `copy_done` row of the task's target ledger). */
export type DoneChunk = CopyDoneRow

/**
 * Create the full load's ledger tables in the target database `client` is connected to
 * (idempotent); `client`'s session uses the ledger until it ends (store/target-ledger.ts).
 */
export async function ensureProgressTables(client: pg.Client, ledger: TargetLedger): Promise<void> {
  await ensureLedger(client, ledger, ['copyDone', 'postDataDone'])
}

/** A chunk of a task's table, as a copy job names it. */
export interface ChunkOfTask {
  readonly taskId: string
  readonly sourceDb: string
  readonly relOid: number
  readonly chunk: { readonly index: number }
  readonly epoch: string
}

/** Every chunk recorded for a task's source database, by source table oid. */
export async function readDoneChunks(
  client: pg.Client,
  ledger: TargetLedger,
  taskId: string,
  sourceDb: string,
): Promise<Map<number, DoneChunk[]>> {
  const r = await client.query<{
    rel_oid: string
    chunk: number
    chunks: number
    epoch: string
    rows: string
    bytes: string
    sync_lsn: string | null
  }>(
    `SELECT rel_oid::text, chunk, chunks, epoch, rows::text, bytes::text, sync_lsn
       FROM ${ledgerTable(ledger, 'copyDone')} WHERE task_id = $1 AND source_db = $2 ORDER BY rel_oid, chunk`,
    [taskId, sourceDb],
  )
  const out = new Map<number, DoneChunk[]>()
  for (const row of r.rows) {
    const oid = Number(row.rel_oid)
    let list = out.get(oid)
    if (list === undefined) out.set(oid, (list = []))
    list.push({
      relOid: oid,
      chunk: row.chunk,
      chunks: row.chunks,
      epoch: row.epoch,
      rows: Number(row.rows),
      bytes: Number(row.bytes),
      syncLsn: row.sync_lsn ?? undefined,
    })
  }
  return out
}

/** The epoch whose chunks make the table complete, if any. */
export function completeEpoch(chunks: readonly DoneChunk[] | undefined): string | undefined {
  if (chunks === undefined || chunks.length === 0) return undefined
  const byEpoch = new Map<string, DoneChunk[]>()
  for (const c of chunks) byEpoch.set(c.epoch, [...(byEpoch.get(c.epoch) ?? []), c])
  for (const [epoch, list] of byEpoch) {
    const first = list[0]
    if (first !== undefined && new Set(list.map((c) => c.chunk)).size === first.chunks) return epoch
  }
  return undefined
}

/** Empty a target table and forget its chunks, in one transaction (a re-copy from scratch). */
export async function resetTable(
  client: pg.Client,
  ledger: TargetLedger,
  taskId: string,
  sourceDb: string,
  relOid: number,
  qualifiedTarget: string,
): Promise<void> {
  await client.query('BEGIN')
  try {
    // ONLY: an inheritance parent's TRUNCATE would also empty its children (tables of their own).
    await client.query(`TRUNCATE ONLY ${qualifiedTarget}`)
    await client.query(
      `DELETE FROM ${ledgerTable(ledger, 'copyDone')} WHERE task_id = $1 AND source_db = $2 AND rel_oid = $3`,
      [taskId, sourceDb, relOid],
    )
    await client.query('COMMIT')
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw error
  }
}

/**
 * Inside a chunk transaction: whether this chunk of this epoch is already committed. Takes the
 * chunk's transaction-scoped advisory lock first, so that one copy of a chunk runs at a time,
 * whoever runs it: a queued job that a worker still runs may be handed to another (issue 15: its
 * heartbeat stopped reaching the queue). The second waits here for the first's commit, then finds
 * the chunk done (a read-committed read after the wait) instead of adding its rows twice.
 */
export async function chunkIsDone(
  client: pg.Client,
  ledger: TargetLedger,
  job: ChunkOfTask,
): Promise<boolean> {
  const { taskId, sourceDb, relOid, epoch } = job
  const chunk = job.chunk.index
  await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
    `pgferry.chunk ${taskId} ${sourceDb} ${relOid} ${chunk}`,
  ])
  const r = await client.query(
    `SELECT 1 FROM ${ledgerTable(ledger, 'copyDone')} WHERE task_id = $1 AND source_db = $2 AND rel_oid = $3 AND chunk = $4 AND epoch = $5`,
    [taskId, sourceDb, relOid, chunk, epoch],
  )
  return (r.rowCount ?? 0) > 0
}

/** Inside a chunk transaction, after its COPY: record it. */
export async function markChunkDone(
  client: pg.Client,
  ledger: TargetLedger,
  taskId: string,
  sourceDb: string,
  done: DoneChunk,
): Promise<void> {
  await client.query(
    `INSERT INTO ${ledgerTable(ledger, 'copyDone')} (task_id, source_db, rel_oid, chunk, chunks, epoch, rows, bytes, sync_lsn)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (task_id, source_db, rel_oid, chunk) DO UPDATE
       SET chunks = EXCLUDED.chunks, epoch = EXCLUDED.epoch, rows = EXCLUDED.rows,
           bytes = EXCLUDED.bytes, sync_lsn = EXCLUDED.sync_lsn, done_at = now()`,
    [
      taskId,
      sourceDb,
      done.relOid,
      done.chunk,
      done.chunks,
      done.epoch,
      done.rows,
      done.bytes,
      done.syncLsn ?? null,
    ],
  )
}

/** Post-data step keys already committed in this target database. */
export async function readPostDataDone(
  client: pg.Client,
  ledger: TargetLedger,
  taskId: string,
): Promise<Set<string>> {
  const r = await client.query<{ step_key: string }>(
    `SELECT step_key FROM ${ledgerTable(ledger, 'postDataDone')} WHERE task_id = $1`,
    [taskId],
  )
  return new Set(r.rows.map((x) => x.step_key))
}

/** Inside a post-data step's transaction: record it. */
export async function markPostDataDone(
  client: pg.Client,
  ledger: TargetLedger,
  taskId: string,
  key: string,
): Promise<void> {
  await client.query(
    `INSERT INTO ${ledgerTable(ledger, 'postDataDone')} (task_id, step_key) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
    [taskId, key],
  )
}
