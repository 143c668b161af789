/**
 * Which tables a check compares: what the task migrated, read from the store, never re-resolved
 * against the live catalog (a table created on the source since is on neither the target nor in
 * the stream). Leaf tables only (partitions included: a partitioned parent holds no rows of its
 * own), permanent ones only: an unlogged table is not in the WAL, so the sync cannot keep it equal.
 *
 * The one place that reads the task's table list: the task's manifest (src/manifest/), as the full
 * load left it (a table's oid refreshed when it was recreated before its copy).
 */
import { PgferryError } from '../errors.js'
import type { ProgressStore } from '../model/progress-store.js'
import { readManifestState } from '../manifest/manifest-state.js'

/** A table to compare: its source oid and names, and its schema on the target. */
export interface VerifiedTable {
  readonly oid: number
  readonly schema: string
  readonly name: string
  readonly targetSchema: string
}

/** A source database, its name on the target and its tables. */
export interface VerifiedDatabase {
  readonly sourceDatabase: string
  readonly targetDatabase: string
  readonly tables: readonly VerifiedTable[]
}

/** The tables of every database the task migrated. */
export async function readVerifiedTables(
  store: ProgressStore,
  taskId: string,
): Promise<VerifiedDatabase[]> {
  const out: VerifiedDatabase[] = []
  for (const { load, manifest } of (await readManifestState(store, taskId)).databases) {
    if (load === undefined || manifest === undefined) continue
    out.push({
      sourceDatabase: load.sourceDatabase,
      targetDatabase: load.targetDatabase,
      tables: manifest.relations.filter((r) => r.kind === 'r' && r.persistence === 'p'),
    })
  }
  if (out.length === 0)
    throw new PgferryError(
      'PGFERRY_VERIFY_NOTHING_LOADED',
      `task ${taskId} has no loaded data to verify`,
      {
        fix: 'run fullLoad (or run) first: verify compares what the full load migrated',
        cliFix:
          'pgferry resume <task id> runs the full load first: verify compares what it migrated',
      },
    )
  return out
}
