/**
 * The chunks of the tables a load copies: for each table its columns and COPY format, its split
 * (read under the load's snapshot: integer-key bounds must be those of the snapshot), and a
 * reset of the target table when earlier rows of it may be there.
 */
import type pg from 'pg'
import { PgferryError } from '../errors.js'
import { quoteIdent, quoteQualified } from '../pg/quote.js'
import type { StageContext } from '../model/stage.js'
import type { ResolvedDatabase } from '../model/resolved-objects.js'
import type { SelectedRelation } from '../catalog/selection.js'
import {
  readCopyColumns,
  readSplitInfo,
  readTargetColumns,
  targetColumnsKey,
} from '../catalog/columns-for-copy.js'
import { resetTable, type DoneChunk } from './chunk-progress.js'
import { chooseFormat, copySql, type CopyJob } from './copy-pipe.js'
import { importSnapshotSql, type HeldSnapshot } from './snapshot.js'
import {
  autoSplitSize,
  ctidCanSplit,
  notSplitReason,
  planChunks,
  type ChunkPlan,
} from './work-plan.js'

/** A table the load copies. */
export interface CopyUnit {
  readonly rel: SelectedRelation
  /** `schema.name` on the source, for events. */
  readonly key: string
  readonly bytes: number
  /** Qualified target name. */
  readonly targetName: string
}

/** A table's chunks. */
export interface UnitJobs {
  readonly unit: CopyUnit
  readonly chunks: readonly CopyJob[]
}

/** How a table can be split (catalog/columns-for-copy.ts `readSplitInfo`). */
interface SplitInfo {
  readonly heapBlocks: number | undefined
  readonly intKey: string | undefined
}

/** Plan the chunks of `pending` (largest first) under `snapshot`. */
export async function planJobs(
  ctx: StageContext,
  src: pg.Client,
  tgt: pg.Client,
  srcVersion: number,
  db: ResolvedDatabase,
  pending: readonly CopyUnit[],
  done: ReadonlyMap<number, readonly DoneChunk[]>,
  snapshot: HeldSnapshot,
  epoch: string,
  syncLsn: string | undefined,
): Promise<UnitJobs[]> {
  const oids = pending.map((u) => u.rel.oid)
  const columns = await readCopyColumns(src, oids)
  const split = await readSplitInfo(src, oids)
  const targetColumns = await readTargetColumns(
    tgt,
    pending.map((u) => ({ schema: u.rel.targetSchema, name: u.rel.name })),
  )
  const jobs: UnitJobs[] = []
  const splitSize =
    ctx.config.splitTablesLargerThan ??
    autoSplitSize(
      pending.reduce((sum, u) => sum + u.bytes, 0),
      ctx.config.parallelism,
    )
  if (pending.length === 0) return jobs
  const base = { taskId: ctx.taskId, sourceDb: db.name, epoch, syncLsn, snapshot: snapshot.name }
  await src.query(importSnapshotSql(snapshot.name))
  for (const u of pending) {
    const cols = columns.get(u.rel.oid) ?? []
    const targetCols = targetColumns.get(targetColumnsKey(u.rel.targetSchema, u.rel.name))
    if (targetCols === undefined) {
      throw new PgferryError(
        'PGFERRY_FULLLOAD_COPY_FAILED',
        `table ${u.targetName} does not exist in target database ${db.as}`,
        {
          side: 'target',
          retryable: false,
          fix: 'run migrateSchema(task) first',
          cliFix: 'pgferry resume <task id> creates the structure first',
        },
      )
    }
    const format = chooseFormat(cols, targetCols)
    const info = split.get(u.rel.oid)
    const plan = await planUnit(ctx, src, srcVersion, u, info, splitSize)
    if ((done.get(u.rel.oid)?.length ?? 0) > 0 || plan.length > 1) {
      await resetTable(tgt, ctx.config.ledger, ctx.taskId, db.name, u.rel.oid, u.targetName)
    }
    const bytesPerRow = u.rel.estimatedRows > 0 ? u.bytes / u.rel.estimatedRows : 100
    jobs.push({
      unit: u,
      chunks: plan.map((chunk) => {
        const sql = copySql(
          u.rel,
          { schema: u.rel.targetSchema, name: u.rel.name },
          cols,
          format,
          chunk.where,
          plan.length === 1,
        )
        return {
          ...base,
          relOid: u.rel.oid,
          chunk,
          sourceSql: sql.source,
          targetSql: sql.target,
          truncate: plan.length === 1 ? u.targetName : undefined,
          bytesPerRow,
        }
      }),
    })
  }
  await src.query('COMMIT')
  return jobs
}

/** One table's chunks, read inside the snapshot's transaction on `src`. */
async function planUnit(
  ctx: StageContext,
  src: pg.Client,
  srcVersion: number,
  u: CopyUnit,
  info: SplitInfo | undefined,
  splitSize: number,
): Promise<ChunkPlan[]> {
  let intKey: { column: string; min: bigint; max: bigint } | undefined
  const ctidBlocks = srcVersion >= 140000 ? info?.heapBlocks : undefined
  const wantSplit = splitSize > 0 && u.bytes > splitSize
  if (wantSplit && !ctidCanSplit(ctidBlocks) && info?.intKey !== undefined) {
    const k = quoteQualified(u.rel.schema, u.rel.name)
    const col = quoteIdent(info.intKey)
    const r = await src.query<{ lo: string | null; hi: string | null }>(
      `SELECT min(${col})::text AS lo, max(${col})::text AS hi FROM ONLY ${k}`,
    )
    const lo = r.rows[0]?.lo
    const hi = r.rows[0]?.hi
    if (lo != null && hi != null) intKey = { column: info.intKey, min: BigInt(lo), max: BigInt(hi) }
  }
  const plan = planChunks({ bytes: u.bytes, ctidBlocks, intKey }, splitSize)
  if (wantSplit && plan.length === 1) {
    ctx.warn(
      'PGFERRY_FULLLOAD_NOT_SPLIT',
      `table ${u.key} (${u.bytes} bytes) is copied in one piece: ${notSplitReason({ sourceVersion: srcVersion, heapBlocks: info?.heapBlocks, intKey: info?.intKey })}`,
      u.key,
    )
  }
  return plan
}
