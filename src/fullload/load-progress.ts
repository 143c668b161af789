/**
 * What the full load leaves in the store for the stages after it (the incremental stage reads
 * these; nothing else is needed from the full load to start streaming).
 *
 * - kind `fullload-database`, key = source database name, value {@link LoadedDatabase}:
 *   the target database, and for `full+incremental` the slot, the publication and the slot's
 *   `consistent_point` (`X/Y`) where the stream starts. Written as soon as the slot exists.
 * - kind `fullload-table`, key = `<source db>/<source table oid>`, value {@link LoadedTable}:
 *   a table whose data is complete. `syncLsn` is null for tables copied under the slot's
 *   snapshot. After a crash lost that snapshot, unfinished tables are re-copied under the exported
 *   snapshot of a temporary slot, and `syncLsn` is that slot's `consistent_point`: the incremental
 *   stage must skip changes of that table in transactions whose commit LSN is below `syncLsn`
 *   and apply them from `syncLsn` on (PostgreSQL's tablesync rule: apply iff
 *   `statelsn <= remote_final_lsn`, worker.c should_apply_changes_for_rel). A partitioned table
 *   gets an entry too (same syncLsn as all its partitions, which are always re-copied together),
 *   since with `publish_via_partition_root` changes arrive under the root's oid. The sync LSN
 *   commits with the data, in the target ledger's `copy_done` rows; these entries are derived
 *   from those rows at the end of every run, before the database is marked complete
 *   (sync-points.ts), so no failure or crash between a chunk's COMMIT and a store write loses one.
 *
 * The target side also keeps `copy_done` / `postdata_done` (its target ledger) in each target
 * database (chunk-progress.ts); those are the full load's own business.
 */
import type { ProgressStore } from '../model/progress-store.js'
import { PROGRESS_KINDS } from '../model/progress-kinds.js'
import type { LoadedDatabase, LoadedTable } from '../model/load-progress.js'
import { readProgress } from '../store/progress-records.js'

/** Progress kind of a database's load. */
export const LOADED_DATABASE_KIND = PROGRESS_KINDS.loadedDatabase
/** Progress kind of a table's load. */
export const LOADED_TABLE_KIND = PROGRESS_KINDS.loadedTable

export type { LoadedDatabase, LoadedTable } from '../model/load-progress.js'

/**
 * The full load's progress of a task: databases by source name, tables by `<db>/<oid>`.
 * @public
 */
export async function readLoadProgress(
  store: ProgressStore,
  taskId: string,
): Promise<{ databases: Map<string, LoadedDatabase>; tables: Map<string, LoadedTable> }> {
  const dbs = await readProgress(store, taskId, LOADED_DATABASE_KIND)
  const tables = await readProgress(store, taskId, LOADED_TABLE_KIND)
  return {
    databases: new Map(dbs.map((e) => [e.key, e.value])),
    tables: new Map(tables.map((e) => [e.key, e.value])),
  }
}

/**
 * Progress keys cannot hold NUL: the PostgreSQL store keeps them in jsonb, which rejects \u0000.
 * The oid is the last part, so a database name containing `/` still parses from the right.
 */
/** The store key of a loaded table. */
export function loadedTableKey(sourceDb: string, oid: number): string {
  return `${sourceDb}/${oid}`
}
