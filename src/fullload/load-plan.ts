/**
 * What one database's load copies: the tables not yet complete (resume rules: database-load.ts),
 * the snapshot they are copied under, and their chunks.
 */
import { randomUUID } from 'node:crypto'
import type pg from 'pg'
import { quoteQualified } from '../pg/quote.js'
import type { StageContext } from '../model/stage.js'
import type { ResolvedDatabase } from '../model/resolved-objects.js'
import type { DatabaseObjects } from '../catalog/selection.js'
import { completeEpoch, readDoneChunks } from './chunk-progress.js'
import { holdLoadSnapshot, type LoadSnapshot } from './load-snapshot.js'
import { planJobs, type CopyUnit, type UnitJobs } from './plan-jobs.js'
import { unevenPartitions } from './sync-points.js'
import { largestFirst } from './work-plan.js'

/** One database's load, planned. */
export interface LoadPlan extends LoadSnapshot {
  /** Every table of the selection the load copies. */
  readonly units: readonly CopyUnit[]
  /** The tables copied by this run, largest first. */
  readonly pending: readonly CopyUnit[]
  /** Oids of the tables an earlier run completed. */
  readonly complete: ReadonlySet<number>
  /** The chunks of `pending` (none when there is no snapshot). */
  readonly jobs: readonly UnitJobs[]
}

/** Read what earlier runs completed, hold the load's snapshot and plan the chunks. */
export async function planLoad(
  ctx: StageContext,
  src: pg.Client,
  tgt: pg.Client,
  srcVersion: number,
  db: ResolvedDatabase,
  selection: DatabaseObjects,
): Promise<LoadPlan> {
  const units: CopyUnit[] = selection.relations
    .filter((r) => r.kind === 'r' && r.persistence !== 't')
    .map((r) => ({
      rel: r,
      key: `${r.schema}.${r.name}`,
      bytes: r.bytes,
      targetName: quoteQualified(r.targetSchema, r.name),
    }))
  const done = await readDoneChunks(tgt, ctx.config.ledger, ctx.taskId, db.name)
  const complete = new Set(
    units.filter((u) => completeEpoch(done.get(u.rel.oid)) !== undefined).map((u) => u.rel.oid),
  )
  const uneven = unevenPartitions(
    selection.relations,
    units.map((u) => u.rel),
    done,
  )
  for (const oid of uneven) complete.delete(oid)

  const held = await holdLoadSnapshot(ctx, src, srcVersion, db, selection, units, complete)
  const pending = largestFirst(units.filter((u) => !complete.has(u.rel.oid)))
  const epoch = randomUUID()
  const { snapshot, syncLsn } = held
  const jobs =
    snapshot === undefined
      ? []
      : await planJobs(ctx, src, tgt, srcVersion, db, pending, done, snapshot, epoch, syncLsn)
  return { ...held, units, pending, complete, jobs }
}
