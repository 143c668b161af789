/**
 * Exactly-once chunks (ARCHITECTURE.md): a chunk's "done" row commits in the same target
 * transaction as its rows. The task's store may live in another database than the data, so each
 * target database gets a small progress table of its own, `pgferry.copy_done`, created on first
 * use and read on resume. Post-data steps that run in a transaction are marked the same way
 * (`pgferry.postdata_done`), so a crash between a DDL commit and the store write cannot make a
 * resume run the DDL twice.
 *
 * A chunk row records the snapshot epoch it was copied under. A table is complete when all the
 * chunks of one epoch are there; a table with chunks of an epoch whose snapshot is gone is
 * truncated and copied again, since rows copied under two snapshots need not fit together.
 */
import type pg from 'pg'
import { DEFAULT_STORE_SCHEMA } from '../model/store-schema.js'
import { quoteIdent } from '../pg/quote.js'

const S = quoteIdent(DEFAULT_STORE_SCHEMA)

/** The target-side progress table, qualified. */
export const COPY_DONE_TABLE = `${S}.copy_done`
/** The target-side post-data progress table, qualified. */
export const POST_DATA_DONE_TABLE = `${S}.postdata_done`

/** A chunk as recorded on the target. */
export interface DoneChunk {
  readonly relOid: number
  readonly chunk: number
  readonly chunks: number
  readonly epoch: string
  readonly rows: number
  readonly bytes: number
  readonly syncLsn: string | undefined
}

/** Create the progress tables in the target database `client` is connected to (idempotent). */
export async function ensureProgressTables(client: pg.Client): Promise<void> {
  await client.query('BEGIN')
  try {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('pgferry.copy_done'))`)
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${S}`)
    await client.query(`CREATE TABLE IF NOT EXISTS ${COPY_DONE_TABLE} (
       task_id text NOT NULL,
       source_db text NOT NULL,
       rel_oid bigint NOT NULL,
       chunk int NOT NULL,
       chunks int NOT NULL,
       epoch text NOT NULL,
       rows bigint NOT NULL,
       bytes bigint NOT NULL,
       sync_lsn text,
       done_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (task_id, source_db, rel_oid, chunk))`)
    await client.query(`CREATE TABLE IF NOT EXISTS ${POST_DATA_DONE_TABLE} (
       task_id text NOT NULL,
       step_key text NOT NULL,
       done_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (task_id, step_key))`)
    await client.query('COMMIT')
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw error
  }
}

/** Every chunk recorded for a task's source database, by source table oid. */
export async function readDoneChunks(
  client: pg.Client,
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
       FROM ${COPY_DONE_TABLE} WHERE task_id = $1 AND source_db = $2 ORDER BY rel_oid, chunk`,
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
      `DELETE FROM ${COPY_DONE_TABLE} WHERE task_id = $1 AND source_db = $2 AND rel_oid = $3`,
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
  taskId: string,
  sourceDb: string,
  relOid: number,
  chunk: number,
  epoch: string,
): Promise<boolean> {
  await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
    `pgferry.chunk ${taskId} ${sourceDb} ${relOid} ${chunk}`,
  ])
  const r = await client.query(
    `SELECT 1 FROM ${COPY_DONE_TABLE} WHERE task_id = $1 AND source_db = $2 AND rel_oid = $3 AND chunk = $4 AND epoch = $5`,
    [taskId, sourceDb, relOid, chunk, epoch],
  )
  return (r.rowCount ?? 0) > 0
}

/** Inside a chunk transaction, after its COPY: record it. */
export async function markChunkDone(
  client: pg.Client,
  taskId: string,
  sourceDb: string,
  done: DoneChunk,
): Promise<void> {
  await client.query(
    `INSERT INTO ${COPY_DONE_TABLE} (task_id, source_db, rel_oid, chunk, chunks, epoch, rows, bytes, sync_lsn)
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
export async function readPostDataDone(client: pg.Client, taskId: string): Promise<Set<string>> {
  const r = await client.query<{ step_key: string }>(
    `SELECT step_key FROM ${POST_DATA_DONE_TABLE} WHERE task_id = $1`,
    [taskId],
  )
  return new Set(r.rows.map((x) => x.step_key))
}

/** Inside a post-data step's transaction: record it. */
export async function markPostDataDone(
  client: pg.Client,
  taskId: string,
  key: string,
): Promise<void> {
  await client.query(
    `INSERT INTO ${POST_DATA_DONE_TABLE} (task_id, step_key) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
    [taskId, key],
  )
}
