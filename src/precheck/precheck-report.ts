import type { Side } from '../model/stage.js'
import type { ObjectSelection } from '../model/task-config.js'

/**
 * Outcome of one precheck item.
 * @public
 */
export type PrecheckStatus = 'pass' | 'warn' | 'fail' | 'skipped'

/**
 * One precheck item: what was checked, what was found, and the exact fix.
 * @public
 */
export interface PrecheckItem {
  /** Stable id, e.g. `source.replication-role`. */
  readonly id: string
  /** One line saying what the item checks. */
  readonly title: string
  /** The outcome; `skipped` when the caller skipped a non-passing item. */
  readonly status: PrecheckStatus
  /** Names the exact objects or settings. */
  readonly message: string
  /** SQL or setting that repairs it, for `warn` and `fail`. */
  readonly fix?: string
  /**
   * The fix in the words of the `pgferry` command line, where `fix` names a library call or option
   * (`precheck({ skip })` → `--skip ID`); absent when `fix` serves both.
   */
  readonly cliFix?: string
  /** The objects concerned, qualified names. */
  readonly objects?: readonly string[]
  /** The fix as statements to run, each on the server and database it belongs to. */
  readonly fixes?: readonly PrecheckFix[]
}

/**
 * One statement of a fix, with where to run it. Run as a role allowed to (usually a superuser or
 * the object's owner).
 * @public
 */
export interface PrecheckFix {
  /** The server to run it on. */
  readonly side: Side
  /** The database to run it in; `undefined` when any database of the server will do. */
  readonly database?: string
  /**
   * One SQL statement, so that each can be run as it is (ALTER SYSTEM and DROP/CREATE DATABASE
   * cannot run inside the implicit transaction of a multi-statement query).
   */
  readonly sql: string
  /** True when the server must be restarted after the SQL for it to take effect. */
  readonly restart?: boolean
}

/**
 * The result of `precheck`. Never thrown: a failed check is data.
 * @public
 */
export interface PrecheckReport {
  /** False when any item failed (and was not skipped by the caller). */
  readonly ok: boolean
  /** Every item, in the order of `PRECHECK_ITEM_IDS`. */
  readonly items: readonly PrecheckItem[]
  /** The selection that would pass the dependency check, when it differs from the task's. */
  readonly closure?: ObjectSelection
}

/**
 * Options for `precheck`.
 * @public
 */
export interface PrecheckOptions {
  /** Aborting stops the precheck promptly. */
  readonly signal?: AbortSignal
  /**
   * Item ids to skip ({@link PRECHECK_ITEM_IDS}); recorded in the store. A skipped item cannot block
   * the task. An unknown id is rejected with `PGFERRY_PRECHECK_ITEM_UNKNOWN`.
   */
  readonly skip?: readonly string[]
  /**
   * A transaction open this long (seconds) on the source is reported: it delays the creation of
   * replication slots. Defaults to 60.
   */
  readonly longTransactionSeconds?: number
  /**
   * Free bytes on the target's disk, when the caller can measure them (PostgreSQL cannot report
   * free disk). With it, `target.free-space` passes or fails; without it, it warns. Defaults to
   * unknown.
   */
  readonly targetFreeBytes?: number
  /**
   * Seconds the data copy may take at the source's measured send rate before `source.bandwidth`
   * warns (the copy holds a snapshot on the source, and an incremental task's slot retains WAL,
   * for as long as it runs). The estimate is the selected relations' on-disk size divided by the
   * rate one connection measured in at most ~1.5 s. Defaults to 3600 (an hour).
   */
  readonly maxTransferSeconds?: number
}
