/**
 * The target ledger (issue 12): the rows a task writes into a *target* database in the same
 * transaction as the data they describe, so that "copied" or "applied" and "recorded" cannot
 * disagree after a crash. That is why it lives in the target database whatever store the task is
 * configured with: the memory store, or a store in another database, cannot commit with the copied
 * rows. The store's entries about the same facts (a table's sync LSN, the apply's position) are
 * derived from these rows, never the other way round.
 *
 * Where it lives: in each target database the task writes, in a schema of the name the task's
 * store schema has (`pgferry`, or the `schema` a `PgStore` is given; the memory store and a
 * caller's store that names no schema leave it at `pgferry`). The name is resolved with the config
 * and stored with it, so a reopened task and the full load's workers find the same tables.
 *
 * What it records, table by table, and which stage creates it (only that stage, on first use):
 * - `copy_done` (full load): one row per copied chunk of a table — {@link CopyDoneRow};
 * - `postdata_done` (full load): one row per post-data step run in a transaction —
 *   {@link PostDataDoneRow};
 * - `apply_progress` (incremental sync, only where the target user may not use replication
 *   origins): the end LSN of the last applied source transaction — {@link ApplyProgressRow}.
 *   Where origins may be used, the origin (one per task and source database) records it instead.
 *
 * When it goes: `complete` and `delete` remove the task's rows; a table left with no row of any
 * task is dropped, and the schema too when the ledger created it and it is empty then (so a task
 * with the memory store leaves nothing in the target). A `full` task has no `complete`: its rows
 * stay until `delete`, as the record of what its load copied. store/target-ledger.ts does the I/O.
 *
 * Pure: types and constants, no I/O.
 */
import { DEFAULT_STORE_SCHEMA } from './store-schema.js'

/** The ledger's tables, by what each records (the names are stored data: never rename one). */
export const LEDGER_TABLES = {
  /** A copied chunk (full load). */
  copyDone: 'copy_done',
  /** A post-data step committed in a transaction (full load). */
  postDataDone: 'postdata_done',
  /** The apply's position where replication origins are refused (incremental sync). */
  applyProgress: 'apply_progress',
} as const

/** A table of the target ledger. */
export type LedgerTable = keyof typeof LEDGER_TABLES

/** The stage that creates each ledger table, on its first use, and no other stage. */
export const LEDGER_TABLE_STAGE: Readonly<Record<LedgerTable, 'fullload' | 'incremental'>> = {
  copyDone: 'fullload',
  postDataDone: 'fullload',
  applyProgress: 'incremental',
}

/**
 * Where a task's target ledger lives (see the file comment of src/model/target-ledger.ts).
 * @public
 */
export interface TargetLedger {
  /**
   * The schema, in each target database the task writes, that holds the ledger's tables: the
   * task's store schema (`pgferry` unless the store names another).
   */
  readonly schema: string
}

/** The ledger of a task whose store keeps its tables in `storeSchema` (none: `pgferry`). */
export function ledgerOf(storeSchema: string | undefined): TargetLedger {
  return { schema: storeSchema ?? DEFAULT_STORE_SCHEMA }
}

/** A `copy_done` row: a chunk of a source table committed on the target under one snapshot. */
export interface CopyDoneRow {
  /** The source table's oid. */
  readonly relOid: number
  /** The chunk's index, from 0. */
  readonly chunk: number
  /** How many chunks the table was cut into under this epoch. */
  readonly chunks: number
  /** The snapshot epoch the chunk was copied under. */
  readonly epoch: string
  readonly rows: number
  readonly bytes: number
  /** The table's sync LSN (a re-copy under a temporary slot), or undefined under the slot's own. */
  readonly syncLsn: string | undefined
}

/** A `postdata_done` row: a post-data step (its key) committed in its own transaction. */
export interface PostDataDoneRow {
  readonly stepKey: string
}

/** An `apply_progress` row: how far the apply of one source database got. */
export interface ApplyProgressRow {
  readonly sourceDb: string
  /** The end LSN of the last applied source transaction. */
  readonly endLsn: string
}
