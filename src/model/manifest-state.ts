/**
 * The task's manifest with its state: one typed read-view over the store's records of each source
 * database (issue 12: "a per-database manifest: the selected relations with their target names,
 * each table's copy state and sync LSN, the post-data plan, and the drain and cutover marks").
 *
 * The facts stay in their own store records, each written by the one step that knows it (the
 * manifest by its resolution and `addTables`, a table's copy state and sync LSN by the full load,
 * derived from the target ledger's rows, the post-data plan by the structure stage, the marks by
 * the cutover); every stage *reads* them through this one view (manifest/manifest-state.ts
 * `readManifestState`), never kind by kind. Keeping the records apart keeps each write small and
 * atomic with what it records (a table's entry is written when it lands, not by rewriting the
 * database's whole manifest), and keeps tasks stored by an earlier pgferry readable.
 *
 * Pure types, no I/O.
 */
import type { DdlStep } from './ddl-step.js'
import type { LoadedDatabase, LoadedTable } from './load-progress.js'
import type { DatabaseManifest } from './manifest.js'

/** The cutover's marks of one source database. */
export interface CutoverMarks {
  /** The drain reached this fence (an LSN) at `at`; undefined before. */
  readonly drained: { readonly fence: string; readonly at: string } | undefined
  /** The cutover of the database finished (slot, publication, origin dropped) at this ISO time. */
  readonly done: string | undefined
}

/** One source database of the task: what it migrates and how far each part got. */
export interface DatabaseManifestState {
  /** The source database. */
  readonly database: string
  /**
   * What the task migrates from it; undefined only for a database the full load recorded in a
   * task stored before manifests were kept (its stages resolve and store one when they run).
   */
  readonly manifest: DatabaseManifest | undefined
  /** The target database: the manifest's, else the load's. */
  readonly targetDatabase: string
  /** The full load's record: slot, publication, start LSN, whether complete; undefined before it. */
  readonly load: LoadedDatabase | undefined
  /** The tables whose data is loaded, by source oid, each with its sync LSN. */
  readonly tables: ReadonlyMap<number, LoadedTable>
  /** The post-data plan of its target database; undefined until the structure stage saved it. */
  readonly postDataPlan: readonly DdlStep[] | undefined
  /** Keys of the post-data steps of its target database the store marks done. */
  readonly postDataDone: ReadonlySet<string>
  /** The cutover's marks. */
  readonly marks: CutoverMarks
}

/** The task's databases with their state, in manifest order (then any the load alone recorded). */
export interface ManifestState {
  readonly databases: readonly DatabaseManifestState[]
}

/** The database `name` of `state`, or undefined. */
export function databaseState(
  state: ManifestState,
  name: string,
): DatabaseManifestState | undefined {
  return state.databases.find((d) => d.database === name)
}

/** The databases the full load recorded, as its records have them, in manifest order. */
export function loadedDatabases(state: ManifestState): LoadedDatabase[] {
  return state.databases.flatMap((d) => (d.load === undefined ? [] : [d.load]))
}
