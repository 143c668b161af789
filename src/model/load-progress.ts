/**
 * The records the full load leaves in the store for the stages after it (fullload/load-progress.ts
 * says when each is written): types of the model, since the store's typed records
 * (progress-kinds.ts) name them.
 */

/**
 * A database as the full load left it.
 * @public
 */
export interface LoadedDatabase {
  readonly sourceDatabase: string
  readonly targetDatabase: string
  /** Logical slot (`full+incremental`). */
  readonly slot: string | null
  /** Publication over the selected tables (`full+incremental`). */
  readonly publication: string | null
  /** The slot's consistent_point: the incremental stream's start LSN. */
  readonly consistentPoint: string | null
  /** All data, post-data, sequences and large objects are done. */
  readonly complete: boolean
}

/**
 * A table whose data is loaded.
 * @public
 */
export interface LoadedTable {
  readonly sourceDatabase: string
  readonly oid: number
  readonly schema: string
  readonly name: string
  readonly targetSchema: string
  readonly rows: number
  readonly bytes: number
  /**
   * Skip this table's changes of transactions whose commit LSN (the Begin message's final LSN) is
   * below this one; apply from it on. Null: nothing extra to skip.
   */
  readonly syncLsn: string | null
}
