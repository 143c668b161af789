/**
 * The COPY pipe (ARCHITECTURE.md): `pipeline(copyTo, copyFrom)` between two dedicated clients
 * (the source's CopyData messages relayed as they are, copy-relay.ts, read into a reused buffer
 * and written straight to the target socket unless TLS is on, direct-relay.ts; with a throttle
 * `pipeline(copyTo, meter, copyFrom)`), bytes passed through untouched, backpressure end to end, memory bounded by the stream
 * buffers whatever the table size. Binary format when every column is a built-in, binary-safe type
 * with the same oid on both sides; text otherwise. The target transaction holds the chunk's rows
 * and its "done" row (exactly-once); an unsplit table is `TRUNCATE`d and loaded with `FREEZE` in
 * that same transaction. Any failure (or abort) closes both connections at once: the source COPY
 * stops, the target transaction rolls back, no half chunk is left.
 */
import { TableRewrittenError } from './rewrite-rounds.js'
import type pg from 'pg'
import { pipeline } from 'node:stream/promises'
import pgCopy from 'pg-copy-streams'
import { quoteIdent, quoteQualified } from '../pg/quote.js'
import type { CopyColumn } from '../catalog/columns-for-copy.js'
import type { TargetLedger } from '../model/target-ledger.js'
import { chunkIsDone, markChunkDone } from './chunk-progress.js'
import { framedCopyFrom, framedCopyTo } from './copy-relay.js'
import { canRelayDirect, relayDirect } from './direct-relay.js'
import { hardClose } from './hard-close.js'
import { importSnapshotSql } from './snapshot.js'
import { Meter, type Throttle } from './throttle.js'
import type { ChunkPlan } from './work-plan.js'

const { to: copyTo, from: copyFrom } = pgCopy

/** Binary when every source column is binary-safe and the target column has the same type oid. */
export function chooseFormat(
  source: readonly CopyColumn[],
  target: readonly CopyColumn[],
): 'binary' | 'text' {
  const byName = new Map(target.map((c) => [c.name, c]))
  for (const c of source) {
    const t = byName.get(c.name)
    if (!c.binarySafe || t === undefined || t.typeOid !== c.typeOid) return 'text'
  }
  return 'binary'
}

/** The COPY statements of one chunk. */
export function copySql(
  sourceTable: { schema: string; name: string },
  targetTable: { schema: string; name: string },
  columns: readonly CopyColumn[],
  format: 'binary' | 'text',
  where: string | undefined,
  freeze: boolean,
): { source: string; target: string } {
  const cols = columns.map((c) => quoteIdent(c.name)).join(', ')
  // A table with no column to copy (zero columns, or only generated ones) still has rows: COPY
  // cannot name an empty list, but without one it copies every non-generated column, none here,
  // one empty row per row (and `SELECT FROM` selects zero columns), so the row count travels.
  const list = cols === '' ? '' : ` (${cols})`
  const src = quoteQualified(sourceTable.schema, sourceTable.name)
  const fmt = `FORMAT ${format}`
  const source =
    where === undefined
      ? `COPY ${src}${list} TO STDOUT WITH (${fmt})`
      : `COPY (SELECT ${cols} FROM ONLY ${src} WHERE ${where}) TO STDOUT WITH (${fmt})`
  const target = `COPY ${quoteQualified(targetTable.schema, targetTable.name)}${list} FROM STDIN WITH (${fmt}${freeze ? ', FREEZE' : ''})`
  return { source, target }
}

/** One chunk to copy. */
export interface CopyJob {
  readonly taskId: string
  readonly sourceDb: string
  readonly relOid: number
  readonly chunk: ChunkPlan
  readonly epoch: string
  readonly syncLsn: string | undefined
  readonly snapshot: string
  readonly sourceSql: string
  readonly targetSql: string
  /** Qualified target table to TRUNCATE in the chunk transaction (unsplit tables). */
  readonly truncate: string | undefined
  readonly bytesPerRow: number
}

/** What a chunk did. */
export interface CopyOutcome {
  readonly rows: number
  readonly bytes: number
  /** The chunk was already committed (a retry after a lost acknowledgement). */
  readonly skipped: boolean
}

/** Copy one chunk between two connected clients. On failure both clients are closed. */
export async function copyChunk(
  source: pg.Client,
  target: pg.Client,
  job: CopyJob,
  ledger: TargetLedger,
  throttle: Throttle,
  signal: AbortSignal,
  onBytes?: (bytes: number) => void,
): Promise<CopyOutcome> {
  const onAbort = (): void => {
    hardClose(source)
    hardClose(target)
  }
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    signal.throwIfAborted()
    await target.query('BEGIN')
    if (await chunkIsDone(target, ledger, job)) {
      await target.query('ROLLBACK')
      return { rows: 0, bytes: 0, skipped: true }
    }
    // ONLY: an inheritance parent's TRUNCATE would also empty its children (tables of their own).
    if (job.truncate !== undefined) await target.query(`TRUNCATE ONLY ${job.truncate}`)
    await source.query(importSnapshotSql(job.snapshot))
    let bytes = 0
    let rows: number
    if (throttle.active) {
      const into = target.query(copyFrom(job.targetSql))
      const from = source.query(copyTo(job.sourceSql))
      const meter = new Meter(throttle, job.bytesPerRow, onBytes)
      await pipeline(from, meter, into)
      bytes = meter.bytes
      rows = into.rowCount
    } else if (canRelayDirect(source, target)) {
      // No throttle: the source's CopyData messages go to the target socket as they are read, from
      // a reused read buffer (direct-relay.ts).
      const out = await relayDirect(source, target, job.sourceSql, job.targetSql, onBytes)
      bytes = out.bytes
      rows = out.rows
    } else {
      // The same relay through streams (copy-relay.ts), where the source socket is pg's own (TLS);
      // bytes (the rows' bytes, without message headers) are counted by the source stream.
      const into = target.query(framedCopyFrom(job.targetSql))
      const from = source.query(framedCopyTo(job.sourceSql))
      if (onBytes !== undefined) {
        from.on('data', () => {
          onBytes(from.payloadBytes - bytes)
          bytes = from.payloadBytes
        })
      }
      await pipeline(from, into)
      bytes = from.payloadBytes
      rows = into.rowCount
    }
    await assertNotRewritten(source, job.relOid)
    await source.query('COMMIT')
    await markChunkDone(target, ledger, job.taskId, job.sourceDb, {
      relOid: job.relOid,
      chunk: job.chunk.index,
      chunks: job.chunk.count,
      epoch: job.epoch,
      rows,
      bytes,
      syncLsn: job.syncLsn,
    })
    await target.query('COMMIT')
    return { rows, bytes, skipped: false }
  } catch (error) {
    hardClose(source)
    hardClose(target)
    signal.throwIfAborted()
    throw error
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

/**
 * TRUNCATE (and VACUUM FULL, CLUSTER, a rewriting ALTER) is not MVCC-safe: a table rewritten after
 * the load's snapshot was taken and before its COPY locked it is read from its new file, where
 * nothing is visible to that snapshot, and the copy silently misses the rows the snapshot saw
 * (the stream then has UPDATEs and DELETEs for rows the target never got). Checked after the COPY,
 * while its ACCESS SHARE lock keeps any later rewrite waiting: the snapshot's view of `pg_class`
 * (an MVCC read) still names the old file, the relation cache (`pg_relation_filenode`) the current
 * one.
 */
async function assertNotRewritten(source: pg.Client, relOid: number): Promise<void> {
  const r = await source.query<{ rewritten: boolean; name: string }>(
    `SELECT c.relfilenode <> pg_relation_filenode(c.oid) AS rewritten,
            format('%I.%I', n.nspname, c.relname) AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = $1::int8::oid`,
    [relOid],
  )
  const row = r.rows[0]
  if (row?.rewritten !== true) return
  throw new TableRewrittenError(row.name)
}
