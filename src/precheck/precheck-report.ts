import type { ObjectSelection } from '../task/task-config.js'

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
  readonly title: string
  readonly status: PrecheckStatus
  /** Names the exact objects or settings. */
  readonly message: string
  /** SQL or setting that repairs it, for `warn` and `fail`. */
  readonly fix?: string
  /** The objects concerned, qualified names. */
  readonly objects?: readonly string[]
}

/**
 * The result of `precheck`. Never thrown: a failed check is data.
 * @public
 */
export interface PrecheckReport {
  /** False when any item failed (and was not skipped by the caller). */
  readonly ok: boolean
  readonly items: readonly PrecheckItem[]
  /** The selection that would pass the dependency check, when it differs from the task's. */
  readonly closure?: ObjectSelection
}

/**
 * Options for `precheck`.
 * @public
 */
export interface PrecheckOptions {
  readonly signal?: AbortSignal
  /** Item ids to skip; recorded in the store. A skipped item cannot block the task. */
  readonly skip?: readonly string[]
}
